using Drover.Model;

namespace Drover.Storage.Tests;

/// <summary>Batches: pause and resume of leasing, and the counts per state.</summary>
public abstract partial class TaskDatabaseConformance
{
    [Fact]
    public async Task A_paused_batch_is_not_leased_until_resumed_and_batches_are_counted()
    {
        var paused = Task("p", priority: 9);
        var other = Task("q");
        await Store.CreateAsync([paused, other], Token);
        await Store.SetBatchPausedAsync("p", paused: true, Token);
        var anyone = await WorkerAsync();
        var dedicated = await WorkerAsync(batch: "p");

        Assert.Empty(await Store.LeaseAsync(dedicated, 5, Token));
        var lease = Assert.Single(await Store.LeaseAsync(anyone, 5, Token));
        Assert.Equal(other.Id, lease.TaskId);
        await ReportAsync(anyone, Finished(lease, 0));

        var batches = (await Store.ListBatchesAsync(Token)).ToDictionary(b => b.Name);
        Assert.True(batches["p"].Paused);
        Assert.Equal(1, batches["p"].Counts["queued"]);
        Assert.Equal([dedicated], batches["p"].Workers);
        Assert.False(batches["q"].Paused);
        Assert.Equal(1, batches["q"].Counts["succeeded"]);
        Assert.Equal(1, batches["q"].Total);

        // The live view (the queue gauges' read): only batches with tasks not ended, only those counts.
        var live = Assert.Single(await Store.ListLiveBatchesAsync(Token));
        Assert.Equal("p", live.Name);
        Assert.True(live.Paused);
        Assert.Equal(new Dictionary<string, long> { ["queued"] = 1 }, live.Counts);
        Assert.Equal([dedicated], live.Workers);

        var ready = Signals.TasksReady.WaitHandle;
        await Store.SetBatchPausedAsync("p", paused: false, Token);
        await ready.WaitAsync(TimeSpan.FromSeconds(10), Token); // long-polls wake
        Assert.Equal(paused.Id, Assert.Single(await Store.LeaseAsync(dedicated, 5, Token)).TaskId);
        Assert.False((await Store.ListBatchesAsync(Token)).Single(b => b.Name == "p").Paused);
    }

    [Fact]
    public async Task A_heartbeat_with_machine_stats_shows_on_the_worker()
    {
        var worker = await WorkerAsync();
        Assert.Null((await Store.GetWorkerAsync(worker, Token))!.Stats);
        var stats = new MachineStats { Cpus = 8, Load1 = 1.5, MemoryUsedBytes = 3, MemoryTotalBytes = 16, DiskFreeBytes = 100, NetworkInBytes = 7, NetworkOutBytes = 9 };
        await Store.ReportAsync(worker, new Contracts.WorkerReport { Stats = stats }, Token);
        var shown = (await Store.GetWorkerAsync(worker, Token))!.Stats!;
        Assert.Equal(stats with { At = Time.GetUtcNow() }, shown);
        await Store.ReportAsync(worker, new Contracts.WorkerReport(), Token); // a report without them keeps the last
        Assert.Equal(8, (await Store.ListWorkersAsync(Token)).Single().Stats!.Cpus);
    }
}
