using Drover.Model;
using Drover.Query;
using Drover.Storage.Memory;

namespace Drover.Storage.Tests;

/// <summary>
/// <c>--store none</c>: the store's contract (dispatch, leases, retries), but not the database's:
/// an ended task is forgotten, so it derives from <see cref="TaskStoreConformance"/> only.
/// </summary>
public sealed class NoneTaskStoreTests : TaskStoreConformance
{
    protected override ITaskStore CreateStore() => new MemoryTaskStore(Options, Signals, Time, new MemoryStoreOptions { KeepHistory = false }, Events);

    [Fact]
    public async Task An_ended_task_is_forgotten_but_its_end_still_reaches_waiters()
    {
        var definition = Task(retry: 1);
        var other = Task();
        await Store.CreateAsync([definition, other], Token);
        Assert.False(Store.KeepsHistory);
        var ended = Signals.WhenEnded(definition.Id);
        var worker = await WorkerAsync();
        var first = (await Store.LeaseAsync(worker, 1, Token))[0];
        await ReportAsync(worker, Finished(first, 1));
        Assert.False(ended.IsCompleted); // retried, not ended: still known, with its first execution
        Assert.Single(await Store.ListExecutionsAsync(definition.Id, Token));

        var second = (await Store.LeaseAsync(worker, 2, Token)).Single(l => l.TaskId == definition.Id);
        await ReportAsync(worker, Finished(second, 0));

        var record = await ended;
        Assert.Equal(TaskState.Succeeded, record!.Status);
        Assert.Null(await Store.GetTaskAsync(definition.Id, Token));
        Assert.Empty(await Store.ListExecutionsAsync(definition.Id, Token));
        Assert.Null(await Store.GetExecutionAsync(first.ExecutionId, Token));
        Assert.Empty(await Store.GetStatesAsync([definition.Id], Token));
        // What is still live can be read and queried.
        Assert.Equal([other.Id], (await Store.QueryTasksAsync(new TaskQuery(), Token)).Select(t => t.Id));
        Assert.Equal(0, (await Store.PurgeAsync(Filter.All, Token)).Deleted);
    }
}
