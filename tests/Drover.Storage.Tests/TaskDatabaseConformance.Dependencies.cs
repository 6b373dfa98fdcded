using Drover.Model;

namespace Drover.Storage.Tests;

/// <summary>Dependencies between tasks, and cancel.</summary>
public abstract partial class TaskDatabaseConformance
{
    private async Task<TaskState> StateAsync(Guid id) => (await Store.GetTaskAsync(id, Token))!.Status;

    [Fact]
    public async Task A_task_is_pending_until_every_requirement_has_succeeded()
    {
        var a = Task();
        var b = Task();
        var c = Task(priority: 9) with { Requires = [a.Id, b.Id] };
        var created = await Store.CreateAsync([c, a, b], Token);
        Assert.Equal([TaskState.Pending, TaskState.Queued, TaskState.Queued], created.Select(o => o.Task.Status));
        var worker = await WorkerAsync();
        var leased = await Store.LeaseAsync(worker, 10, Token);
        Assert.Equal(new[] { a.Id, b.Id }.Order(), leased.Select(l => l.TaskId).Order());

        await ReportAsync(worker, Finished(leased.Single(l => l.TaskId == a.Id), 0));
        Assert.Equal(TaskState.Pending, await StateAsync(c.Id));
        Assert.Empty(await Store.LeaseAsync(worker, 10, Token));
        await ReportAsync(worker, Finished(leased.Single(l => l.TaskId == b.Id), 0));
        Assert.Equal(TaskState.Queued, await StateAsync(c.Id));
        Assert.Equal(c.Id, Assert.Single(await Store.LeaseAsync(worker, 10, Token)).TaskId);
    }

    [Fact]
    public async Task A_requirement_that_fails_for_good_cancels_its_dependants_down_the_graph()
    {
        var a = Task(retry: 1);
        var b = Task() with { Requires = [a.Id] };
        var c = Task() with { Requires = [b.Id] };
        var other = Task();
        await Store.CreateAsync([a, b, c, other], Token);
        var cEnded = Signals.WhenEnded(c.Id);
        var worker = await WorkerAsync();

        var first = (await Store.LeaseAsync(worker, 1, Token))[0];
        await ReportAsync(worker, Finished(first, 1)); // retried: nothing is decided yet
        Assert.Equal(TaskState.Pending, await StateAsync(b.Id));
        var second = (await Store.LeaseAsync(worker, 2, Token)).Single(l => l.TaskId == a.Id);
        await ReportAsync(worker, Finished(second, 1));

        var canceledB = (await Store.GetTaskAsync(b.Id, Token))!;
        var canceledC = (await Store.GetTaskAsync(c.Id, Token))!;
        Assert.Equal((TaskState.Canceled, $"requirement {a.Id} failed"), (canceledB.Status, canceledB.Reason));
        Assert.Equal((TaskState.Canceled, $"requirement {b.Id} was canceled"), (canceledC.Status, canceledC.Reason));
        Assert.NotNull(canceledC.Completed);
        // Waiters hear of it (with the record, or with null when another server's notice came first).
        await cEnded.WaitAsync(TimeSpan.FromSeconds(10), Token);
        Assert.NotEqual(TaskState.Canceled, await StateAsync(other.Id));
    }

    [Fact]
    public async Task A_new_task_starts_from_the_states_of_existing_requirements()
    {
        var done = Task();
        var failed = Task();
        await Store.CreateAsync([done, failed], Token);
        var worker = await WorkerAsync();
        var leases = await Store.LeaseAsync(worker, 2, Token);
        await ReportAsync(worker, Finished(leases.Single(l => l.TaskId == done.Id), 0), Finished(leases.Single(l => l.TaskId == failed.Id), 2));

        var ready = Task() with { Requires = [done.Id] };
        var doomed = Task() with { Requires = [done.Id, failed.Id] };
        var downstream = Task() with { Requires = [doomed.Id] };
        var created = await Store.CreateAsync([ready, doomed, downstream], Token);
        Assert.Equal(TaskState.Queued, created[0].Task.Status);
        Assert.Equal((TaskState.Canceled, $"requirement {failed.Id} failed"), (created[1].Task.Status, created[1].Task.Reason));
        Assert.Equal(TaskState.Canceled, created[2].Task.Status);
        Assert.Equal(ready.Id, Assert.Single(await Store.LeaseAsync(worker, 10, Token)).TaskId);

        // As kept, not only as answered: ended, with when and why, so {"completed": null} does not count them.
        var kept = await Store.GetTaskAsync(doomed.Id, Token);
        Assert.Equal((TaskState.Canceled, $"requirement {failed.Id} failed", Time.GetUtcNow()), (kept!.Status, kept.Reason, kept.Completed));
        Assert.Equal($"requirement {doomed.Id} was canceled", (await Store.GetTaskAsync(downstream.Id, Token))!.Reason);
        Assert.NotNull((await Store.GetTaskAsync(downstream.Id, Token))!.Completed);
        var notEnded = Parse($$"""{"filter": {"completed": null, "id": {"$in": ["{{doomed.Id}}", "{{downstream.Id}}", "{{ready.Id}}"]}""" + "}}");
        Assert.Equal(1, await Store.CountTasksAsync(notEnded.Query.Filter, Token));
    }

    [Fact]
    public async Task A_task_submitted_after_its_requirement_was_canceled_is_kept_canceled_with_its_reason()
    {
        var requirement = Task();
        await Store.CreateAsync([requirement], Token);
        await Store.CancelAsync(requirement.Id, "canceled by request", Token);
        var dependant = Task() with { Requires = [requirement.Id] };
        await Store.CreateAsync([dependant], Token);
        var kept = await Store.GetTaskAsync(dependant.Id, Token);
        Assert.Equal((TaskState.Canceled, $"requirement {requirement.Id} was canceled"), (kept!.Status, kept.Reason));
        Assert.Equal(Time.GetUtcNow(), kept.Completed);
    }

    [Fact]
    public async Task Cancel_ends_a_task_in_any_live_state_and_its_dependants()
    {
        var queued = Task();
        var dependant = Task() with { Requires = [queued.Id] };
        var leased = Task(priority: 5);
        await Store.CreateAsync([queued, dependant, leased], Token);
        var worker = await WorkerAsync();
        var lease = Assert.Single(await Store.LeaseAsync(worker, 1, Token));
        Assert.Equal(leased.Id, lease.TaskId);

        var outcome = await Store.CancelAsync(queued.Id, "not needed", Token);
        Assert.Equal((TaskState.Canceled, "not needed"), (outcome.Task!.Status, outcome.Task.Reason));
        Assert.Equal(TaskState.Canceled, await StateAsync(dependant.Id));
        Assert.Empty(await Store.LeaseAsync(worker, 10, Token));

        // A leased task: the attempt ends canceled, and the worker's next word about it is stale.
        Assert.Equal(TaskState.Canceled, (await Store.CancelAsync(leased.Id, "stop", Token)).Task!.Status);
        Assert.Equal(ExecutionState.Canceled, (await Store.GetExecutionAsync(lease.ExecutionId, Token))!.Status);
        // Its worker is told to kill the processes at once.
        Assert.Equal([new Contracts.SignalCommand(lease.ExecutionId, TaskSignal.Kill)], await Store.TakeSignalsAsync(worker, Token));
        Assert.Empty(await Store.TakeSignalsAsync(worker, Token));
        Assert.Equal([lease.ExecutionId], (await ReportAsync(worker, Finished(lease, 0))).Stale);
        Assert.Equal(TaskState.Canceled, await StateAsync(leased.Id));

        Assert.True((await Store.CancelAsync(leased.Id, "again", Token)).AlreadyEnded);
        Assert.True((await Store.CancelAsync(Guid.CreateVersion7(), "who", Token)).NotFound);
    }

    [Fact]
    public async Task A_resubmitted_task_keeps_its_requirements_and_starts_as_they_allow()
    {
        var good = Task();
        var bad = Task();
        var needsGood = Task() with { Requires = [good.Id] };
        var needsBad = Task() with { Requires = [bad.Id] };
        await Store.CreateAsync([good, bad, needsGood, needsBad], Token);
        var worker = await WorkerAsync();
        var leases = await Store.LeaseAsync(worker, 2, Token);
        await ReportAsync(worker, Finished(leases.Single(l => l.TaskId == good.Id), 0), Finished(leases.Single(l => l.TaskId == bad.Id), 1));
        var ran = Assert.Single(await Store.LeaseAsync(worker, 5, Token));
        await ReportAsync(worker, Finished(ran, 0));
        Assert.Equal(needsGood.Id, ran.TaskId);

        var again = (await Store.ResubmitAsync([needsGood.Id, needsBad.Id], Token)).Created;
        Assert.Equal(TaskState.Queued, again[0].Status);
        Assert.Equal((TaskState.Canceled, $"requirement {bad.Id} failed"), (again[1].Status, again[1].Reason));
        Assert.Equal([bad.Id], again[1].Requires);
        Assert.Equal(again[0].Id, Assert.Single(await Store.LeaseAsync(worker, 5, Token)).TaskId);
    }
}
