using Drover.Model;

namespace Drover.Storage.Tests;

/// <summary>Delayed tasks (run_after, in): pending until their time, queued by ReleaseDueAsync, whatever the order of their time and their requirements.</summary>
public abstract partial class TaskStoreConformance
{
    [Fact]
    public async Task A_delayed_task_is_pending_until_its_time_then_released_and_leased()
    {
        var later = Task() with { RunIn = TimeSpan.FromMinutes(10) };
        var at = Task() with { RunAfter = Time.GetUtcNow().AddMinutes(5) };
        var past = Task() with { RunAfter = Time.GetUtcNow().AddMinutes(-5) };
        var created = await Store.CreateAsync([later, at, past], Token);
        Assert.Equal([TaskState.Pending, TaskState.Pending, TaskState.Queued], created.Select(o => o.Task.Status));
        Assert.Equal(Time.GetUtcNow().AddMinutes(10), created[0].Task.RunAfter);
        var worker = await WorkerAsync();
        Assert.Equal([past.Id], (await Store.LeaseAsync(worker, 10, Token)).Select(l => l.TaskId));

        // Nothing due yet: the earliest time is said.
        Assert.Equal(Time.GetUtcNow().AddMinutes(5), await Store.ReleaseDueAsync(Token));
        Time.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal(Time.GetUtcNow().AddMinutes(5), await Store.ReleaseDueAsync(Token));
        Assert.Equal(TaskState.Queued, (await Store.GetTaskAsync(at.Id, Token))!.Status);
        Assert.Equal(TaskState.Pending, (await Store.GetTaskAsync(later.Id, Token))!.Status);
        Assert.Equal([at.Id], (await Store.LeaseAsync(worker, 10, Token)).Select(l => l.TaskId));
        Time.Advance(TimeSpan.FromMinutes(5));
        Assert.Null(await Store.ReleaseDueAsync(Token));
        Assert.Equal([later.Id], (await Store.LeaseAsync(worker, 10, Token)).Select(l => l.TaskId));
    }

    [Fact]
    public async Task A_delayed_task_waits_for_both_its_time_and_its_requirements_and_a_canceled_one_is_forgotten()
    {
        var first = Task();
        var early = Task() with { Requires = [first.Id], RunAfter = Time.GetUtcNow().AddMinutes(1) };
        var late = Task() with { Requires = [first.Id], RunAfter = Time.GetUtcNow().AddMinutes(30) };
        var dropped = Task() with { RunIn = TimeSpan.FromMinutes(2) };
        await Store.CreateAsync([first, early, late, dropped], Token);
        await Store.CancelAsync(dropped.Id, "not wanted", Token);
        // Time passes before the requirement ends: still pending, nothing to release yet.
        Time.Advance(TimeSpan.FromMinutes(5));
        await Store.ReleaseDueAsync(Token);
        Assert.Equal(TaskState.Pending, (await Store.GetTaskAsync(early.Id, Token))!.Status);
        var worker = await WorkerAsync();
        var lease = Assert.Single(await Store.LeaseAsync(worker, 10, Token));
        await ReportAsync(worker, Started(lease), Finished(lease, 0));
        // The requirement succeeded: the one whose time has come is queued at once, the other waits for its time.
        Assert.Equal(TaskState.Queued, (await Store.GetTaskAsync(early.Id, Token))!.Status);
        Assert.Equal(TaskState.Pending, (await Store.GetTaskAsync(late.Id, Token))!.Status);
        Assert.Equal(late.RunAfter, await Store.ReleaseDueAsync(Token));
        Time.Advance(TimeSpan.FromMinutes(30));
        Assert.Null(await Store.ReleaseDueAsync(Token));
        Assert.Equal(TaskState.Queued, (await Store.GetTaskAsync(late.Id, Token))!.Status);
        Assert.Equal(TaskState.Canceled, (await Store.GetTaskAsync(dropped.Id, Token))?.Status ?? TaskState.Canceled);
    }
}
