using Drover.IntegrationTests.Infrastructure;

namespace Drover.IntegrationTests;

/// <summary>How a worker's slots take work: one slot shows the dispatch order; two show no slot sits idle.</summary>
public sealed class PriorityTests : IAsyncLifetime
{
    private readonly DroverCluster _cluster = new(store: "sqlite");
    private DroverCluster? _twoSlots;
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        await _cluster.StartServerAsync();
        await _cluster.StartWorkerAsync(concurrency: 1, "--prefetch", "0");
    }

    public async ValueTask DisposeAsync()
    {
        await _cluster.DisposeAsync();
        if (_twoSlots is not null) await _twoSlots.DisposeAsync();
    }

    [Fact]
    public async Task Higher_priority_starts_first_and_equals_go_oldest_first()
    {
        using var client = _cluster.Client();
        // Occupy the only slot until all the rest are queued behind it (a file, not a sleep: a loaded machine may take longer to submit them).
        var release = Path.Combine(Path.GetTempPath(), $"drover-priority-{Guid.NewGuid():N}");
        var blocker = await client.CreateTaskAsync(Specs.Shell($"while [ ! -e {release} ]; do sleep 0.05; done; rm -f {release}"), Token);
        // The slot must hold the blocker before the rest arrive: a worker that leases late (a loaded machine) rightly takes
        // the best task queued at that moment, which may be "mid-1" before "high" exists.
        while ((await client.GetTaskAsync(blocker.Id, Token))!.Status != Model.TaskState.Running) await Task.Delay(20, Token);
        var specs = new (string Name, int Priority)[] { ("low", -1), ("mid-1", 3), ("high", 9), ("mid-2", 3), ("zero", 0) };
        var created = new List<Model.TaskRecord>();
        foreach (var (name, priority) in specs)
            created.Add(await client.CreateTaskAsync(Specs.Command("true") with { Name = name, Priority = priority }, Token));
        File.WriteAllText(release, "");

        var ended = await client.WaitAllAsync([blocker.Id, .. created.Select(t => t.Id)], Token);
        // Started is the server's time of the report that said so: quick tasks reported together (a
        // loaded machine) share it, and their lease order (one task a lease, prefetch 0) tells them apart.
        var order = ended.Where(t => t.Id != blocker.Id).OrderBy(t => t.Started).ThenBy(t => t.Assigned).Select(t => t.Name);
        Assert.Equal(["high", "mid-1", "mid-2", "zero", "low"], order);
    }

    [Fact]
    public async Task A_task_leased_while_another_runs_starts_in_a_free_slot_at_once()
    {
        _twoSlots = new DroverCluster(store: "memory");
        await _twoSlots.StartServerAsync();
        await _twoSlots.StartWorkerAsync(concurrency: 2, "--prefetch", "0");
        using var client = _twoSlots.Client();
        var sleeper = await client.CreateTaskAsync(Specs.Command("sleep", "30"), Token);
        while ((await client.GetTaskAsync(sleeper.Id, Token))!.Status != Model.TaskState.Running) await Task.Delay(50, Token);

        var quick = await client.CreateTaskAsync(Specs.Command("true"), Token);
        await client.WaitAllAsync([quick.Id], Token);
        Assert.Equal(Model.TaskState.Running, (await client.GetTaskAsync(sleeper.Id, Token))!.Status);
        await client.CancelTaskAsync(sleeper.Id, Token);
    }
}
