using System.Globalization;
using Drover.IntegrationTests.Infrastructure;

namespace Drover.IntegrationTests;

/// <summary>
/// README walk-throughs run as written: each bash block is read from the README and run by bash in
/// a folder of its own, where <c>./drover</c> is this build and <c>samples/</c> the repository's.
/// </summary>
public sealed class ReadmeWalkthroughTests : IAsyncLifetime
{
    private readonly string _directory = Directory.CreateTempSubdirectory("drover-readme-").FullName;
    private static readonly string Repository = FindRepository();

    public ValueTask InitializeAsync()
    {
        var shim = Path.Combine(_directory, "drover");
        File.WriteAllText(shim, $"#!/bin/sh\nexec dotnet '{DroverProcess.DroverDll}' \"$@\"\n");
        File.SetUnixFileMode(shim, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync()
    {
        Directory.Delete(_directory, recursive: true);
        return ValueTask.CompletedTask;
    }

    private static string FindRepository()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Drover.slnx"))) return directory.FullName;
        }
        throw new DirectoryNotFoundException("the repository (Drover.slnx)");
    }

    /// <summary>The first bash block after <paramref name="marker"/> in the README.</summary>
    private static string Block(string marker)
    {
        var readme = File.ReadAllText(Path.Combine(Repository, "README.md"));
        var section = readme[readme.IndexOf(marker, StringComparison.Ordinal)..];
        var start = section.IndexOf("```bash\n", StringComparison.Ordinal) + "```bash\n".Length;
        return section[start..section.IndexOf("```", start, StringComparison.Ordinal)];
    }

    private async Task<string> RunAsync(string script, IDictionary<string, string>? environment = null)
    {
        // From a file, as a pasted block runs in a shell whose own command line is not the block (pkill -f must not match it).
        File.WriteAllText(Path.Combine(_directory, "walk-through.sh"), script);
        await using var shell = DroverProcess.StartProgram("bash", ["walk-through.sh"], environment, _directory);
        await shell.WaitForExitAsync(TimeSpan.FromSeconds(180));
        return shell.Output;
    }

    [Fact]
    public async Task The_tokens_walk_through_works_as_written()
    {
        var script = Block("## Security: tokens, roles, TLS, limits and the audit log");
        Assert.Contains("./drover token create --name alice", script);
        var port = FreePort.Next().ToString(CultureInfo.InvariantCulture);
        await using var up = DroverProcess.Start(["up", "--port", port, "--workers", "1"], workingDirectory: _directory);
        await up.WaitForLineAsync("Press Ctrl-C", TimeSpan.FromSeconds(30));
        await up.WaitForLineAsync("registered as", TimeSpan.FromSeconds(30));

        // As pasted into a shell in that folder (the server is found through ./drover-data/server.json).
        var output = await RunAsync(script);
        Assert.Matches(@"alice\s+submit\s+alice,lab-x", output);
        Assert.Contains("403 Outside this token's scope", output);
        Assert.Contains("'bob' is not one of this token's groups", output);
        Assert.Matches(@"succeeded\s+0\s+1\s+\S+ \S+\s+echo hello from alice", output);
        Assert.DoesNotContain("echo no", output);
        Assert.Contains("token alice revoked", output);
        Assert.Matches(@"admin\s+admin\s+token\.revoke\s+alice\s+204", output);
        Assert.True(File.Exists(Path.Combine(_directory, "alice.token")));
    }

    [Fact]
    public async Task The_crawler_kill_9_walk_through_works_as_written()
    {
        var script = Block("That is `samples/Drover.Samples.Crawler`");
        Assert.Contains("pkill -9 -f", script);
        // The sample projects are the repository's (built there); the files the walk-through makes are this folder's.
        var output = await RunAsync(script.Replace("samples/", Path.Combine(Repository, "samples") + "/", StringComparison.Ordinal));
        Assert.Contains("resuming: 0 pages done, 1 to do", File.ReadAllText(Path.Combine(_directory, "crawl.log")));
        // Killed mid-crawl, then resumed from where it stopped, not from the start.
        var resumed = System.Text.RegularExpressions.Regex.Match(output, @"resuming: (\d+) pages done, (\d+) to do");
        Assert.True(resumed.Success, output);
        Assert.InRange(int.Parse(resumed.Groups[1].Value, CultureInfo.InvariantCulture), 500, 1999);
        Assert.Contains("finished: 2000 pages, 2000 done, 0 aborted", output);
        Assert.Contains("/1 = {\"url\":\"/1\",\"title\":\"page 1\",\"links\":[\"/2\",\"/3\"]}", output);
        Assert.Contains("\"title\": \"page 2000\"", File.ReadAllText(Path.Combine(_directory, "crawl.json")));
    }
}
