using Drover.IntegrationTests.Infrastructure;

namespace Drover.IntegrationTests;

/// <summary><c>drover watch</c> as a user runs it: a real CLI process following the real server's event stream.</summary>
[Collection("cluster")]
public sealed class WatchTests(SharedCluster shared)
{
    private readonly DroverCluster _cluster = shared.Cluster;
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Watch_ID_shows_what_was_written_before_and_then_live_each_line_once_until_the_task_ends()
    {
        using var client = _cluster.Client();
        var gate = Path.Combine(_cluster.DataDirectory, $"gate-{Guid.NewGuid():N}");
        // Writes before the watcher starts, waits for the test's go, then writes in bursts across flushes.
        var task = await client.CreateTaskAsync(Specs.Shell(
            $"echo before; while [ ! -e {gate} ]; do sleep 0.05; done; echo during-1; echo oops >&2; sleep 1.2; echo during-2; sleep 1.2; echo last; exit 4"), Token);
        var watching = _cluster.CliAsync("watch", task.Id.ToString());
        // Let "before" reach the server's record first, so the watcher likely shows it from the kept tail
        // and the rest from the stream (either way, each line must show once).
        await WaitUntilAsync(async () => (await client.GetTaskAsync(task.Id, Token))?.StdoutBytes > 0);
        await Task.Delay(300, Token);
        await File.WriteAllTextAsync(gate, "", Token);

        var (code, output) = await watching;
        Assert.Equal(1, code); // the task failed (exit 4)
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["before", "during-1", "during-2", "last"], lines.Where(l => l is "before" or "last" || l.StartsWith("during", StringComparison.Ordinal)));
        Assert.Single(lines, "oops");
        Assert.Contains(lines, l => l.Contains($"{task.Id} failed (exit 4)"));
    }

    [Fact]
    public async Task Watch_batch_reports_progress_and_exits_when_everything_has_ended()
    {
        using var client = _cluster.Client();
        var batch = $"watch-{Guid.NewGuid():N}";
        await client.CreateTasksAsync([.. Enumerable.Range(0, 5).Select(i => Specs.Shell($"sleep 0.{i}") with { Batch = batch }),
            Specs.Shell("exit 2") with { Batch = batch }], Token);
        var (code, output) = await _cluster.CliAsync("watch", "--batch", batch);
        Assert.Equal(1, code); // one task failed
        Assert.Contains($"{batch}: 6/6 ended (5 succeeded, 1 failed), 0 running, 0 queued", output);
        Assert.Contains("all 6 tasks ended: 5 succeeded, 1 failed or canceled", output);
    }

    [Theory]
    [InlineData("not-a-task-id", "is not a task id")]
    [InlineData("0193a2b0-7c3e-7f00-8000-0123456789ab", "there is no task")]
    public async Task Watch_refuses_a_bad_or_unknown_task_id(string id, string says)
    {
        var (code, output) = await _cluster.CliAsync("watch", id);
        Assert.Equal(2, code);
        Assert.Contains(says, output);
        var (both, said) = await _cluster.CliAsync("watch", id, "--batch", "b");
        Assert.Equal(2, both);
        Assert.Contains("not both", said);
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (!await condition()) await Task.Delay(50, deadline.Token);
    }
}
