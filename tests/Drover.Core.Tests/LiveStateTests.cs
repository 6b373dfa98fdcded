using Drover.Contracts;
using Drover.Dispatch;
using Drover.Model;

namespace Drover.Core.Tests;

public sealed class LiveStateTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 6, 12, 0, 0, TimeSpan.Zero);

    private static TaskRecord Queued(string batch = "b") =>
        new TaskDefinition { Id = Guid.CreateVersion7(), Batch = batch, Command = ["true"] }.ToQueuedRecord(Now, seq: 1);

    private static (LiveState Live, LiveWorker Worker) WithWorker()
    {
        var live = new LiveState();
        var worker = new LiveWorker(Guid.CreateVersion7(), batch: null, WorkerState.Running, Now);
        live.AddWorker(worker);
        return (live, worker);
    }

    [Fact]
    public void A_lease_finds_nothing_only_while_nothing_is_ready_for_anyone()
    {
        var (live, worker) = WithWorker();
        Assert.True(live.LeaseFindsNothing(worker.Id, Now));
        live.Add(Queued());
        Assert.False(live.LeaseFindsNothing(worker.Id, Now));
        Assert.Single(live.Lease(worker, 10, Now, Now.AddMinutes(1)));
        Assert.True(live.LeaseFindsNothing(worker.Id, Now));
    }

    [Fact]
    public void A_paused_batch_s_tasks_are_not_ready_and_resuming_makes_them_so()
    {
        var (live, worker) = WithWorker();
        live.SetPaused("held", paused: true);
        live.Add(Queued("held"));
        Assert.True(live.LeaseFindsNothing(worker.Id, Now));
        live.SetPaused("held", paused: false);
        Assert.False(live.LeaseFindsNothing(worker.Id, Now));
    }

    [Fact]
    public void An_unknown_worker_or_one_not_seen_for_a_second_goes_through_the_store()
    {
        // Through the store: to be told it is unknown, or to be marked seen (and running) again.
        var (live, worker) = WithWorker();
        Assert.False(live.LeaseFindsNothing(Guid.CreateVersion7(), Now));
        Assert.False(live.LeaseFindsNothing(worker.Id, Now.AddSeconds(1)));
        live.Touch(worker.Id, WorkerState.Stopped, Now);
        Assert.False(live.LeaseFindsNothing(worker.Id, Now));
        live.Touch(worker.Id, WorkerState.Running, Now.AddSeconds(1));
        Assert.True(live.LeaseFindsNothing(worker.Id, Now.AddSeconds(1.5)));
    }
}
