using Drover.Contracts;
using Drover.IntegrationTests.Infrastructure;
using Drover.Model;

namespace Drover.IntegrationTests;

/// <summary>
/// Workers on their channel (one WebSocket each): they ride out a kill -9 of the server with nothing
/// lost or run twice, and fall back to HTTP when the server refuses the channel, and back again.
/// </summary>
public sealed class WorkerChannelTests : IAsyncLifetime
{
    private const string Open = "Worker channel open";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private readonly DroverCluster _cluster = new(store: "sqlite", leaseTimeout: "15s");
    private readonly string _runs = Path.Combine(Path.GetTempPath(), $"drover-runs-{Guid.NewGuid():N}");
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        await _cluster.DisposeAsync();
        File.Delete(_runs);
    }

    /// <summary>Tasks that each append their id to one file: a task run twice shows as a repeated line.</summary>
    private List<TaskSpec> Recorded(int count) =>
        [.. Enumerable.Range(0, count).Select(i => Specs.Shell($"echo \"$DROVER_TASK_ID\" >> {_runs}; echo {i}"))];

    private async Task<IReadOnlyList<TaskRecord>> RunAllAsync(IReadOnlyList<TaskSpec> specs)
    {
        using var client = _cluster.Client();
        var created = await client.CreateTasksAsync(specs, Token);
        return await client.WaitAllAsync([.. created.Select(t => t.Id)], Token);
    }

    [Fact]
    public async Task A_worker_on_the_channel_rides_out_a_kill_9_of_the_server_with_nothing_lost_or_run_twice()
    {
        await _cluster.StartServerAsync();
        var workers = await Task.WhenAll(_cluster.StartWorkerAsync(4), _cluster.StartWorkerAsync(4));
        foreach (var worker in workers) await worker.WaitForLineAsync(Open, Patience);

        List<Guid> ids;
        using (var client = _cluster.Client())
        {
            var created = await client.CreateTasksAsync(Recorded(600), Token);
            ids = [.. created.Select(t => t.Id)];
            await client.WaitAsync([.. ids.Take(100)], Patience, Token);
        }
        await _cluster.KillServerAsync();
        await _cluster.StartServerAsync();

        using var again = _cluster.Client();
        var ended = await again.WaitAllAsync(ids, Token);
        Assert.All(ended, t => Assert.Equal(TaskState.Succeeded, t.Status));
        var runs = File.ReadAllLines(_runs);
        foreach (var twice in runs.GroupBy(r => r).Where(g => g.Count() > 1).Select(g => Guid.Parse(g.Key)))
        {
            var executions = await again.ListExecutionsAsync(twice, Token);
            Assert.Fail($"task {twice} ran twice; its executions: {string.Join("; ", executions.Select(e => $"{e.Status} on {e.WorkerId}, assigned {e.Assigned:O}, started {e.Started:O}, completed {e.Completed:O}, {e.Reason}"))}"
                + string.Concat(workers.Select(w => $"\n--- worker:\n{string.Join('\n', w.Output.Split('\n').Where(l => !l.StartsWith("      ", StringComparison.Ordinal)).TakeLast(40))}")));
        }
        Assert.Equal(ids.Order(), runs.Select(Guid.Parse).Order());
        // Back on the channel once the server is up again.
        foreach (var worker in workers) await worker.WaitForLineAsync(Open, Patience, count: 2);
        Assert.All(workers, w => Assert.False(w.HasExited));
    }

    [Fact]
    public async Task A_worker_falls_back_to_HTTP_when_the_server_refuses_the_channel_and_returns_to_it()
    {
        await _cluster.StartServerAsync("--worker-channel", "off");
        var worker = await _cluster.StartWorkerAsync(2);
        await worker.WaitForLineAsync("No worker channel", Patience);
        Assert.All(await RunAllAsync(Recorded(50)), t => Assert.Equal(TaskState.Succeeded, t.Status));

        // The same server, now offering the channel: the worker takes it by itself.
        await _cluster.KillServerAsync();
        await _cluster.StartServerAsync();
        await worker.WaitForLineAsync(Open, Patience);
        Assert.All(await RunAllAsync(Recorded(50)), t => Assert.Equal(TaskState.Succeeded, t.Status));
        var runs = File.ReadAllLines(_runs);
        Assert.Equal(100, runs.Distinct().Count());
        Assert.Equal(100, runs.Length);
    }
}
