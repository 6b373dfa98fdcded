using System.Globalization;
using Drover.IntegrationTests.Infrastructure;

namespace Drover.IntegrationTests;

/// <summary>
/// The README's security walk-through, run as written: its bash block is read from the README and
/// run against a real <c>drover up</c> in a folder of its own, <c>./drover</c> being this build.
/// </summary>
public sealed class ReadmeSecurityTests : IAsyncLifetime
{
    private readonly string _directory = Directory.CreateTempSubdirectory("drover-readme-").FullName;

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync()
    {
        Directory.Delete(_directory, recursive: true);
        return ValueTask.CompletedTask;
    }

    private static string Readme()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var path = Path.Combine(directory.FullName, "README.md");
            if (File.Exists(path) && File.Exists(Path.Combine(directory.FullName, "Drover.slnx"))) return File.ReadAllText(path);
        }
        throw new FileNotFoundException("the repository's README.md");
    }

    /// <summary>The first bash block after <paramref name="heading"/>.</summary>
    private static string Block(string readme, string heading)
    {
        var section = readme[readme.IndexOf(heading, StringComparison.Ordinal)..];
        var start = section.IndexOf("```bash\n", StringComparison.Ordinal) + "```bash\n".Length;
        return section[start..section.IndexOf("```", start, StringComparison.Ordinal)];
    }

    [Fact]
    public async Task The_tokens_walk_through_works_as_written()
    {
        var script = Block(Readme(), "## Security: tokens, roles, TLS, limits and the audit log");
        Assert.Contains("./drover token create --name alice", script);
        var shim = Path.Combine(_directory, "drover");
        File.WriteAllText(shim, $"#!/bin/sh\nexec dotnet '{DroverProcess.DroverDll}' \"$@\"\n");
        File.SetUnixFileMode(shim, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        var port = FreePort.Next().ToString(CultureInfo.InvariantCulture);
        await using var up = DroverProcess.Start(["up", "--port", port, "--workers", "1"], workingDirectory: _directory);
        await up.WaitForLineAsync("Press Ctrl-C", TimeSpan.FromSeconds(30));
        await up.WaitForLineAsync("registered as", TimeSpan.FromSeconds(30));

        // As pasted into a shell in that folder (the README's server is on port 5000; this one is on a free port).
        await using var shell = DroverProcess.StartProgram("bash", ["-c", script], new Dictionary<string, string> { ["DROVER_URL"] = $"http://127.0.0.1:{port}" }, _directory);
        await shell.WaitForExitAsync(TimeSpan.FromSeconds(120));
        var output = shell.Output;
        Assert.Matches(@"alice\s+submit\s+alice,lab-x", output);
        Assert.Contains("403 Outside this token's scope", output);
        Assert.Contains("'bob' is not one of this token's groups", output);
        Assert.Matches(@"succeeded\s+0\s+1\s+\S+ \S+\s+echo hello from alice", output);
        Assert.DoesNotContain("echo no", output);
        Assert.Contains("token alice revoked", output);
        Assert.Matches(@"admin\s+admin\s+token\.revoke\s+alice\s+204", output);
        Assert.True(File.Exists(Path.Combine(_directory, "alice.token")));
    }
}
