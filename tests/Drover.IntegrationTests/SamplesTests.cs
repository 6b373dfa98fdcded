using Drover.IntegrationTests.Infrastructure;

namespace Drover.IntegrationTests;

/// <summary>The README's samples, as a user runs them: the sample worker (a .NET host with two handlers) and the sample client, as processes against a real server.</summary>
public sealed class SamplesTests : IAsyncLifetime
{
    private readonly DroverCluster _cluster = new();

    public ValueTask InitializeAsync() => new(_cluster.StartServerAsync());

    public ValueTask DisposeAsync() => _cluster.DisposeAsync();

    /// <summary>A sample's program, built with the solution (same configuration as these tests).</summary>
    private static string Sample(string name)
    {
        var configuration = new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory)).Parent!.Name; // bin/<configuration>/net10.0
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Drover.slnx"))) root = root.Parent;
        var dll = Path.Combine(root!.FullName, "samples", name, "bin", configuration, "net10.0", $"{name}.dll");
        Assert.True(File.Exists(dll), $"{dll} is missing: build the solution (dotnet build Drover.slnx)");
        return dll;
    }

    [Fact]
    public async Task The_sample_client_gets_results_from_the_sample_workers_handlers()
    {
        var environment = new Dictionary<string, string> { ["DROVER_URL"] = _cluster.Url.ToString(), ["DROVER_DATA"] = _cluster.DataDirectory };
        await using var worker = DroverProcess.Start([], environment, dll: Sample("Drover.Samples.Worker"));
        await using var client = DroverProcess.Start([], environment, dll: Sample("Drover.Samples.Client"));
        await client.WaitForExitAsync(TimeSpan.FromSeconds(90));
        Assert.True(client.ExitCode == 0, client.Output);
        Assert.Contains("resize cat.png: 800x600", client.Output);
        Assert.Contains("resize dog.png: 640x480", client.Output);
        Assert.Contains("resize owl.png: failed: System.ArgumentOutOfRangeException: width must be positive, not 0", client.Output);
        Assert.Contains("wordcount: the=3, and=2, cat=1", client.Output);
    }
}
