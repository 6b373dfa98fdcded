using Drover.Contracts;
using Drover.Model;
using Drover.Validation;

namespace Drover.Storage.Tests;

/// <summary>
/// The task database's contract on top of the store's: what a backend that keeps history (every one
/// but <c>--store none</c>) must answer about tasks after they end.
/// </summary>
public abstract partial class TaskDatabaseConformance : TaskStoreConformance
{
    [Fact]
    public async Task Started_and_finished_reports_end_the_task_and_its_execution()
    {
        var definition = Task();
        await Store.CreateAsync([definition], Token);
        var worker = await WorkerAsync();
        var lease = (await Store.LeaseAsync(worker, 1, Token))[0];
        await ReportAsync(worker, Started(lease));
        Assert.Equal(TaskState.Running, (await Store.GetTaskAsync(definition.Id, Token))!.Status);
        Time.Advance(TimeSpan.FromSeconds(2));
        var result = await ReportAsync(worker, Finished(lease, 0, "hello"));
        Assert.Empty(result.Stale);

        var task = await Store.GetTaskAsync(definition.Id, Token);
        Assert.Equal(TaskState.Succeeded, task!.Status);
        Assert.Equal(0, task.ExitCode);
        Assert.Equal("hello", task.Stdout);
        Assert.Equal(5, task.StdoutBytes);
        Assert.Equal(Time.GetUtcNow(), task.Completed);
        var execution = Assert.Single(await Store.ListExecutionsAsync(definition.Id, Token));
        Assert.Equal(ExecutionState.Succeeded, execution.Status);
        Assert.Equal(worker, execution.WorkerId);
        Assert.Equal(execution, await Store.GetExecutionAsync(execution.Id, Token));
    }

    [Fact]
    public async Task A_failure_is_retried_as_a_new_execution_until_retries_run_out()
    {
        var definition = Task(retry: 2);
        await Store.CreateAsync([definition], Token);
        var worker = await WorkerAsync();
        for (var attempt = 1; attempt <= 3; attempt++)
        {
            var lease = Assert.Single(await Store.LeaseAsync(worker, 10, Token));
            Assert.Equal(attempt, lease.Attempt);
            await ReportAsync(worker, Finished(lease, 1));
        }
        var task = await Store.GetTaskAsync(definition.Id, Token);
        Assert.Equal(TaskState.Failed, task!.Status);
        Assert.Equal(3, task.Attempts);
        Assert.Equal(1, task.ExitCode);
        var executions = await Store.ListExecutionsAsync(definition.Id, Token);
        Assert.Equal([1, 2, 3], executions.Select(e => e.Attempt));
        Assert.All(executions, e => Assert.Equal(ExecutionState.Failed, e.Status));
        Assert.Empty(await Store.LeaseAsync(worker, 10, Token));
    }

    [Fact]
    public async Task Events_for_an_execution_that_is_no_longer_current_are_stale()
    {
        var definition = Task();
        await Store.CreateAsync([definition], Token);
        var worker = await WorkerAsync();
        var other = await WorkerAsync();
        var lease = (await Store.LeaseAsync(worker, 1, Token))[0];
        await ReportAsync(worker, Finished(lease, 0));
        var again = await ReportAsync(worker, Finished(lease, 1));
        Assert.Equal([lease.ExecutionId], again.Stale);
        Assert.Equal([lease.ExecutionId], (await ReportAsync(other, Finished(lease, 1))).Stale);
        Assert.Equal(TaskState.Succeeded, (await Store.GetTaskAsync(definition.Id, Token))!.Status);
    }

    [Fact]
    public async Task An_expired_lease_queues_the_task_again_and_the_late_report_is_stale()
    {
        var definition = Task();
        await Store.CreateAsync([definition], Token);
        var silent = await WorkerAsync();
        var lease = (await Store.LeaseAsync(silent, 1, Token))[0];

        Time.Advance(Options.LeaseTimeout - TimeSpan.FromSeconds(1));
        Assert.Equal(0, await Store.ExpireLeasesAsync(Token));
        Time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(1, await Store.ExpireLeasesAsync(Token));

        var task = await Store.GetTaskAsync(definition.Id, Token);
        Assert.Equal(TaskState.Queued, task!.Status);
        Assert.Equal(WorkerState.Lost, (await Store.GetWorkerAsync(silent, Token))!.Status);
        Assert.Equal(ExecutionState.Lost, (await Store.GetExecutionAsync(lease.ExecutionId, Token))!.Status);

        var healthy = await WorkerAsync();
        var second = (await Store.LeaseAsync(healthy, 1, Token))[0];
        Assert.Equal(2, second.Attempt);
        Assert.Equal([lease.ExecutionId], (await ReportAsync(silent, Finished(lease, 0))).Stale);
        await ReportAsync(healthy, Finished(second, 0));
        Assert.Equal(TaskState.Succeeded, (await Store.GetTaskAsync(definition.Id, Token))!.Status);
    }

    [Fact]
    public async Task Only_ended_tasks_can_be_deleted()
    {
        var definition = Task();
        await Store.CreateAsync([definition], Token);
        Assert.Equal(DeleteOutcome.NotEnded, await Store.DeleteAsync(definition.Id, Token));
        var worker = await WorkerAsync();
        var lease = (await Store.LeaseAsync(worker, 1, Token))[0];
        await ReportAsync(worker, Finished(lease, 0));
        Assert.Equal(DeleteOutcome.Deleted, await Store.DeleteAsync(definition.Id, Token));
        Assert.Null(await Store.GetTaskAsync(definition.Id, Token));
        Assert.Empty(await Store.ListExecutionsAsync(definition.Id, Token));
        Assert.Equal(DeleteOutcome.NotFound, await Store.DeleteAsync(definition.Id, Token));
    }

    [Fact]
    public async Task Lists_leave_out_large_fields_and_get_includes_them()
    {
        var definition = Task();
        await Store.CreateAsync([definition], Token);
        var worker = await WorkerAsync();
        await ReportAsync(worker, Finished((await Store.LeaseAsync(worker, 1, Token))[0], 0, "big"));
        Assert.Null((await Store.ListTasksAsync(new TaskListFilter(), Token))[0].Stdout);
        Assert.Null((await Store.GetTasksAsync([definition.Id], includeOutput: false, Token))[0].Stdout);
        Assert.Equal("big", (await Store.GetTasksAsync([definition.Id], includeOutput: true, Token))[0].Stdout);
    }

    [Fact]
    public async Task States_are_read_for_the_ids_that_exist()
    {
        var first = Task();
        var second = Task();
        await Store.CreateAsync([first, second], Token);
        var worker = await WorkerAsync();
        await ReportAsync(worker, Finished((await Store.LeaseAsync(worker, 1, Token))[0], 0));
        var states = await Store.GetStatesAsync([first.Id, second.Id, Ids.New()], Token);
        Assert.Equal(2, states.Count);
        Assert.Equal(TaskState.Succeeded, states[first.Id]);
        Assert.Equal(TaskState.Queued, states[second.Id]);
    }

    [Fact]
    public async Task A_look_gives_the_state_of_each_task_that_exists_and_the_record_of_each_ended_one()
    {
        var ended = Task() with { Name = "ended" };
        var queued = Task();
        await Store.CreateAsync([ended, queued], Token);
        var worker = await WorkerAsync();
        await ReportAsync(worker, Finished((await Store.LeaseAsync(worker, 1, Token))[0], 0, "out"));

        var looks = (await Store.LookAsync([queued.Id, Ids.New(), ended.Id, queued.Id], Token)).ToDictionary(l => l.Id);

        Assert.Equal(2, looks.Count);
        Assert.Equal((TaskState.Queued, null), (looks[queued.Id].Status, looks[queued.Id].Ended));
        var record = looks[ended.Id].Ended!;
        Assert.Equal(TaskState.Succeeded, looks[ended.Id].Status);
        Assert.Equal((ended.Id, "ended", TaskState.Succeeded, 0), (record.Id, record.Name, record.Status, record.ExitCode));
        // As GetTasksAsync without output reads it: the large fields are left out.
        Assert.Null(record.Stdout);
        Assert.Equivalent((await Store.GetTasksAsync([ended.Id], includeOutput: false, Token))[0], record);
        Assert.Empty(await Store.LookAsync([], Token));
    }
}
