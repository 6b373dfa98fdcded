using Drover.Contracts;
using Drover.Model;

namespace Drover.Storage.Tests;

/// <summary>Signals for running tasks: recorded, handed to the worker once, and what term and kill end as.</summary>
public abstract partial class TaskDatabaseConformance
{
    [Fact]
    public async Task A_signal_is_held_for_the_worker_handed_over_once_and_recorded_on_the_execution()
    {
        var task = Task(retry: 3);
        var queued = Task();
        await Store.CreateAsync([task, queued], Token);
        var worker = await WorkerAsync();
        var lease = (await Store.LeaseAsync(worker, 1, Token))[0];
        await ReportAsync(worker, Started(lease));
        var woken = Signals.WorkerSignal(worker).WaitHandle;

        Assert.True((await Store.SignalAsync(queued.Id, TaskSignal.Pause, Token)).NotLeased);
        Assert.True((await Store.SignalAsync(Guid.CreateVersion7(), TaskSignal.Pause, Token)).NotFound);
        var paused = await Store.SignalAsync(lease.TaskId, TaskSignal.Pause, Token);
        Assert.Equal(TaskState.Paused, paused.Task!.Status);
        await woken.WaitAsync(TimeSpan.FromSeconds(10), Token);

        Assert.Equal([new SignalCommand(lease.ExecutionId, TaskSignal.Pause)], await Store.TakeSignalsAsync(worker, Token));
        Assert.Empty(await Store.TakeSignalsAsync(worker, Token));
        Assert.Equal(TaskState.Running, (await Store.SignalAsync(lease.TaskId, TaskSignal.Resume, Token)).Task!.Status);
        Assert.Equal(TaskSignal.Resume, Assert.Single(await Store.TakeSignalsAsync(worker, Token)).Signal);
        var open = (await Store.GetExecutionAsync(lease.ExecutionId, Token))!;
        Assert.Equal([TaskSignal.Pause, TaskSignal.Resume], open.Signals!.Select(s => s.Signal));
        Assert.All(open.Signals!, s => Assert.NotNull(s.Delivered));

        // A run ended by a user's kill is canceled, not failed, and not retried.
        await Store.SignalAsync(lease.TaskId, TaskSignal.Kill, Token);
        await ReportAsync(worker, Finished(lease, 137));
        var ended = (await Store.GetTaskAsync(lease.TaskId, Token))!;
        Assert.Equal((TaskState.Canceled, "terminated by request (kill)"), (ended.Status, ended.Reason));
        var closed = (await Store.GetExecutionAsync(lease.ExecutionId, Token))!;
        Assert.Equal(ExecutionState.Canceled, closed.Status);
        Assert.Equal([TaskSignal.Pause, TaskSignal.Resume, TaskSignal.Kill], closed.Signals!.Select(s => s.Signal));
        Assert.True((await Store.SignalAsync(lease.TaskId, TaskSignal.Term, Token)).NotLeased);
    }
}

/// <summary>What a running task says of itself.</summary>
public abstract partial class TaskDatabaseConformance
{
    [Fact]
    public async Task A_running_task_sets_its_status_and_progress_and_only_its_current_execution_may()
    {
        var task = Task(retry: 1);
        var queued = Task();
        await Store.CreateAsync([task, queued], Token);
        var worker = await WorkerAsync();
        var lease = (await Store.LeaseAsync(worker, 1, Token))[0];

        var set = await Store.SetStatusAsync(lease.TaskId, lease.ExecutionId, new StatusUpdate { Message = "aligning", Progress = 0.4 }, Token);
        Assert.Equal(("aligning", 0.4), (set.Task!.StatusMessage, set.Task.Progress));
        await Store.SetStatusAsync(lease.TaskId, null, new StatusUpdate { Progress = 0.5 }, Token); // the admin, any execution
        var read = (await Store.GetTaskAsync(lease.TaskId, Token))!;
        Assert.Equal(("aligning", 0.5), (read.StatusMessage, read.Progress));

        Assert.True((await Store.SetStatusAsync(lease.TaskId, Guid.CreateVersion7(), new StatusUpdate { Message = "x" }, Token)).NotLeased);
        Assert.True((await Store.SetStatusAsync(queued.Id, null, new StatusUpdate { Message = "x" }, Token)).NotLeased);
        Assert.True((await Store.SetStatusAsync(Guid.CreateVersion7(), null, new StatusUpdate { Message = "x" }, Token)).NotFound);

        // A new attempt starts without the last one's words, and the old execution's token is done.
        await ReportAsync(worker, Finished(lease, 1));
        var second = Assert.Single(await Store.LeaseAsync(worker, 5, Token), l => l.TaskId == task.Id);
        Assert.Null((await Store.GetTaskAsync(task.Id, Token))!.StatusMessage);
        Assert.True((await Store.SetStatusAsync(task.Id, lease.ExecutionId, new StatusUpdate { Message = "late" }, Token)).NotLeased);
        Assert.False((await Store.SetStatusAsync(task.Id, second.ExecutionId, new StatusUpdate { Message = "again" }, Token)).NotLeased);
    }
}
