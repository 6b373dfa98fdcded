using System.Diagnostics;
using System.IO.Compression;
using System.Xml.Linq;

namespace Drover.IntegrationTests;

/// <summary>
/// What the README says about packages: <c>dotnet pack</c> makes Drover.Client and Drover.Worker with
/// their metadata, and the drover CLI installs as a .NET tool from the folder and runs.
/// </summary>
public sealed class PackagingTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("drover-pack-").FullName;
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private static string Root
    {
        get
        {
            var root = new DirectoryInfo(AppContext.BaseDirectory);
            while (root is not null && !File.Exists(Path.Combine(root.FullName, "Drover.slnx"))) root = root.Parent;
            return root!.FullName;
        }
    }

    private static async Task<string> RunAsync(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Root };
        foreach (var arg in args) start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync(Token);
        var error = process.StandardError.ReadToEndAsync(Token);
        await process.WaitForExitAsync(Token);
        var text = await output + await error;
        Assert.True(process.ExitCode == 0, $"{file} {string.Join(' ', args)} failed:\n{text}");
        return text;
    }

    [Fact]
    public async Task Pack_makes_the_client_and_worker_packages_and_the_cli_installs_as_a_tool()
    {
        var artifacts = Path.Combine(_dir, "artifacts");
        foreach (var project in new[] { "src/Drover.Client", "src/Drover.Worker", "src/Drover.Cli" })
            await RunAsync("dotnet", "pack", project, "-c", "Release", "-o", artifacts, "-p:SourceRevisionId=test");

        foreach (var (package, dependency) in new[] { ("Drover.Client", "Drover.Core"), ("Drover.Worker", "Drover.Client") })
        {
            using var zip = ZipFile.OpenRead(Path.Combine(artifacts, $"{package}.0.1.0.nupkg"));
            Assert.NotNull(zip.GetEntry("README.md"));
            Assert.NotNull(zip.GetEntry($"lib/net10.0/{package}.dll"));
            await using var nuspec = zip.GetEntry($"{package}.nuspec")!.Open();
            var metadata = XDocument.Load(nuspec).Root!.Elements().First(e => e.Name.LocalName == "metadata");
            string? Get(string name) => metadata.Elements().FirstOrDefault(e => e.Name.LocalName == name)?.Value;
            Assert.False(string.IsNullOrWhiteSpace(Get("description")));
            Assert.Equal("MIT", Get("license"));
            Assert.Equal("README.md", Get("readme"));
            Assert.NotNull(metadata.Elements().FirstOrDefault(e => e.Name.LocalName == "repository"));
            Assert.Contains(metadata.Descendants().Where(e => e.Name.LocalName == "dependency"), d => d.Attribute("id")?.Value == dependency);
        }

        var tools = Path.Combine(_dir, "tools");
        await RunAsync("dotnet", "tool", "install", "--tool-path", tools, "--add-source", artifacts, "drover");
        Assert.Contains("distributed task dispatcher", await RunAsync(Path.Combine(tools, "drover"), "--help"));
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
