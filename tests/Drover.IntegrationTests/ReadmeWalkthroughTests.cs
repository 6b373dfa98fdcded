using System.Globalization;
using Drover.IntegrationTests.Infrastructure;

namespace Drover.IntegrationTests;

/// <summary>
/// README walk-throughs run as written: each bash block is read from the README and run by bash in
/// a folder of its own, where <c>./drover</c> is this build and <c>samples/</c> the repository's.
/// Every bash block in the README says before it whether it is a walk-through
/// (<c>&lt;!-- walk-through: NAME; server: UP-ARGS --&gt;</c>: run here with <c>drover up UP-ARGS</c>
/// serving its folder) or why it is not run (<c>&lt;!-- not run: REASON --&gt;</c>), so a new example
/// cannot slip in untried.
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

    private async Task<string> RunAsync(string script, IDictionary<string, string>? environment = null) => (await RunWithExitAsync(script, environment)).Output;

    private async Task<(int ExitCode, string Output)> RunWithExitAsync(string script, IDictionary<string, string>? environment = null)
    {
        // From a file, as a pasted block runs in a shell whose own command line is not the block (pkill -f must not match it).
        File.WriteAllText(Path.Combine(_directory, "walk-through.sh"), script);
        await using var shell = DroverProcess.StartProgram("bash", ["walk-through.sh"], environment, _directory);
        await shell.WaitForExitAsync(TimeSpan.FromSeconds(180));
        return (shell.ExitCode, shell.Output);
    }

    private static readonly System.Text.RegularExpressions.Regex Marker = new(@"<!-- (walk-through: (?<name>[\w-]+)(; server:(?<server>[^;>]*))?|not run: [^>]+)[^>]*-->\n```bash\n(?<script>.*?)```", System.Text.RegularExpressions.RegexOptions.Singleline);

    /// <summary>The README's walk-throughs that run against a <c>drover up</c>: name, its arguments, the script.</summary>
    private static IEnumerable<(string Name, string[] Server, string Script)> ServedWalkThroughs()
    {
        var readme = File.ReadAllText(Path.Combine(Repository, "README.md"));
        foreach (System.Text.RegularExpressions.Match match in Marker.Matches(readme))
        {
            if (!match.Groups["server"].Success) continue;
            yield return (match.Groups["name"].Value, match.Groups["server"].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries), match.Groups["script"].Value);
        }
    }

    private static readonly System.Text.RegularExpressions.Regex TaskEnded = new(@"^drover: [0-9a-f-]{36} (succeeded|failed|canceled)");

    public static TheoryData<string> WalkThroughNames => [.. ServedWalkThroughs().Select(w => w.Name)];

    /// <summary>What each walk-through's output shows when it did what the README says (beyond not failing).</summary>
    private static readonly Dictionary<string, string[]> Shows = new()
    {
        ["cli-tour"] = ["hello world", "to stdout", "to stderr", "status:    failed", "alice"],
        ["workflows"] = ["nightly"],
        ["data-files"] = ["apple\nbanana\ncherry"],
        ["watch"] = ["line 1\nline 2\nline 3", "oops"],
        ["resubmit-purge"] = ["Deleted 0 task(s)."],
        ["admin"] = ["sleep"],
        ["recruiters"] = ["nightly-local-"],
        ["schedules"] = ["schedule heartbeat added", "heartbeat  beats", "schedule heartbeat paused", "schedule nightly-backup added"],
        ["metrics"] = ["drover_tasks_created_total{", "drover_tasks_ended_total{"],
        ["rest"] = ["\"done\":[{", "\"status\":\"succeeded\""],
    };

    [Fact]
    public void Every_bash_block_in_the_readme_is_a_walk_through_or_says_why_it_is_not_run()
    {
        var readme = File.ReadAllText(Path.Combine(Repository, "README.md"));
        var blocks = System.Text.RegularExpressions.Regex.Matches(readme, "```bash\n").Count;
        Assert.Equal(blocks, Marker.Matches(readme).Count);
        Assert.True(WalkThroughNames.Count >= 8);
        Assert.All(ServedWalkThroughs(), w => Assert.True(Shows.ContainsKey(w.Name) || w.Name == "queries", $"{w.Name}: say what its output shows"));
    }

    [Theory]
    [MemberData(nameof(WalkThroughNames))]
    public async Task A_walk_through_runs_as_written_against_drover_up(string name)
    {
        var (_, server, script) = ServedWalkThroughs().Single(w => w.Name == name);
        var port = FreePort.Next().ToString(CultureInfo.InvariantCulture);
        await using var up = DroverProcess.Start(["up", "--port", port, .. server], workingDirectory: _directory);
        await up.WaitForLineAsync("Press Ctrl-C", TimeSpan.FromSeconds(30));
        if (!server.Contains("0")) await up.WaitForLineAsync("registered as", TimeSpan.FromSeconds(30));

        // As pasted into a shell in that folder (the CLI finds the server through ./drover-data/server.json).
        var (exit, output) = await RunWithExitAsync(script, new Dictionary<string, string> { ["DROVER_URL"] = $"http://127.0.0.1:{port}" });
        Assert.True(exit == 0, $"exit {exit}:\n{output}");
        foreach (var line in output.Split('\n'))
        {
            // The CLI's failures are one line starting "drover: " (watch ends with one saying how the task ended).
            Assert.False(line.StartsWith("drover: ", StringComparison.Ordinal) && !TaskEnded.IsMatch(line), $"a command failed: {line}\n{output}");
            foreach (var trouble in new[] { "command not found", "syntax error", "No such file or directory", "Unhandled exception" })
                Assert.False(line.Contains(trouble, StringComparison.Ordinal), $"{line}\n{output}");
        }
        foreach (var shown in Shows.GetValueOrDefault(name, [])) Assert.Contains(shown, output);
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
