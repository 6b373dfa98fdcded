using Drover.Contracts;
using Drover.Dispatch;
using Drover.Model;

namespace Drover.Core.Tests;

public sealed class LifecycleTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 21, 12, 0, 0, TimeSpan.Zero);
    private static readonly Guid Worker = Guid.CreateVersion7();

    private static TaskRecord Queued(int retry = 0, TimeSpan? timeout = null) => new TaskDefinition
    {
        Id = Guid.CreateVersion7(),
        Batch = "b",
        Command = ["true"],
        Retry = retry,
        Timeout = timeout,
    }.ToQueuedRecord(Now, seq: 1);

    private static Transition Lease(TaskRecord task) => Lifecycle.Lease(task, Worker, Guid.CreateVersion7(), Now, Now.AddSeconds(30));

    private static ReportEvent Event(Transition t, ReportEventType type, int? exitCode = null, bool timedOut = false) =>
        new() { Type = type, ExecutionId = t.Execution.Id, ExitCode = exitCode, TimedOut = timedOut, Stdout = "out" };

    [Fact]
    public void Lease_assigns_and_opens_an_execution()
    {
        var lease = Lease(Queued());
        Assert.Equal(TaskState.Assigned, lease.Task.Status);
        Assert.Equal(1, lease.Task.Attempts);
        Assert.Equal(lease.Execution.Id, lease.Task.ExecutionId);
        Assert.Equal(ExecutionState.Assigned, lease.Execution.Status);
        Assert.Equal(1, lease.Execution.Attempt);
    }

    [Fact]
    public void Started_then_exit_zero_succeeds()
    {
        var lease = Lease(Queued());
        var started = Lifecycle.Apply(lease.Task, lease.Execution, Event(lease, ReportEventType.Started), Now, 1024)!.Value;
        Assert.Equal(TaskState.Running, started.Task.Status);
        var done = Lifecycle.Apply(started.Task, started.Execution, Event(lease, ReportEventType.Finished, 0), Now.AddSeconds(1), 1024)!.Value;
        Assert.Equal(TaskState.Succeeded, done.Task.Status);
        Assert.Equal(ExecutionState.Succeeded, done.Execution.Status);
        Assert.Equal(Now.AddSeconds(1), done.Task.Completed);
        Assert.Equal("out", done.Task.Stdout);
        Assert.True(done.TaskEnded);
    }

    [Fact]
    public void A_failure_with_retries_left_is_queued_again_then_fails_for_good()
    {
        var task = Queued(retry: 1);
        var first = Lease(task);
        var failed = Lifecycle.Apply(first.Task, first.Execution, Event(first, ReportEventType.Finished, 2), Now, 1024)!.Value;
        Assert.Equal(TaskState.Queued, failed.Task.Status);
        Assert.Null(failed.Task.Completed);
        Assert.Equal(ExecutionState.Failed, failed.Execution.Status);
        Assert.Contains("retry 1 of 1", failed.Task.Reason);

        var second = Lease(failed.Task);
        Assert.Equal(2, second.Execution.Attempt);
        var final = Lifecycle.Apply(second.Task, second.Execution, Event(second, ReportEventType.Finished, 2), Now, 1024)!.Value;
        Assert.Equal(TaskState.Failed, final.Task.Status);
        Assert.Equal(2, final.Task.Failures);
        Assert.NotNull(final.Task.Completed);
    }

    [Fact]
    public void A_timeout_fails_with_a_reason_even_with_exit_code_zero()
    {
        var lease = Lease(Queued(timeout: TimeSpan.FromSeconds(2)));
        var done = Lifecycle.Apply(lease.Task, lease.Execution, Event(lease, ReportEventType.Finished, 0, timedOut: true), Now, 1024)!.Value;
        Assert.Equal(TaskState.Failed, done.Task.Status);
        Assert.True(done.Execution.TimedOut);
        Assert.Equal("timed out after 2s", done.Task.Reason);
    }

    [Fact]
    public void Released_and_lost_leases_queue_the_task_without_using_a_retry()
    {
        var lease = Lease(Queued());
        var released = Lifecycle.Apply(lease.Task, lease.Execution, Event(lease, ReportEventType.Released), Now, 1024)!.Value;
        Assert.Equal(TaskState.Queued, released.Task.Status);
        Assert.Equal(ExecutionState.Released, released.Execution.Status);
        Assert.Equal(0, released.Task.Failures);

        var again = Lease(released.Task);
        var lost = Lifecycle.Expire(again.Task, again.Execution, Now);
        Assert.Equal(TaskState.Queued, lost.Task.Status);
        Assert.Equal(ExecutionState.Lost, lost.Execution.Status);
        Assert.Equal(0, lost.Task.Failures);
    }

    [Fact]
    public void Events_for_a_closed_execution_are_stale()
    {
        var lease = Lease(Queued());
        var done = Lifecycle.Apply(lease.Task, lease.Execution, Event(lease, ReportEventType.Finished, 0), Now, 1024)!.Value;
        Assert.Null(Lifecycle.Apply(done.Task, done.Execution, Event(lease, ReportEventType.Finished, 1), Now, 1024));
    }

    [Fact]
    public void Output_appends_and_keeps_only_the_tail()
    {
        var lease = Lease(Queued());
        var e = new ReportEvent { Type = ReportEventType.Output, ExecutionId = lease.Execution.Id, Stdout = "abcdef", StdoutBytes = 6 };
        var once = Lifecycle.Apply(lease.Task, lease.Execution, e, Now, 8)!.Value;
        var twice = Lifecycle.Apply(once.Task, once.Execution, e with { StdoutBytes = 12 }, Now, 8)!.Value;
        Assert.Equal("efabcdef", twice.Task.Stdout);
        Assert.Equal(12, twice.Task.StdoutBytes);
    }

    [Fact]
    public void A_repeated_output_event_is_not_appended_twice()
    {
        var lease = Lease(Queued());
        var e = new ReportEvent { Type = ReportEventType.Output, ExecutionId = lease.Execution.Id, Stdout = "abc", StdoutBytes = 3 };
        var once = Lifecycle.Apply(lease.Task, lease.Execution, e, Now, 1024)!.Value;
        var again = Lifecycle.Apply(once.Task, once.Execution, e, Now, 1024)!.Value;
        Assert.Equal("abc", again.Task.Stdout);
    }

    [Theory]
    [InlineData(TaskState.Queued, TaskState.Assigned, true)]
    [InlineData(TaskState.Assigned, TaskState.Running, true)]
    [InlineData(TaskState.Running, TaskState.Succeeded, true)]
    [InlineData(TaskState.Running, TaskState.Queued, true)]
    [InlineData(TaskState.Pending, TaskState.Queued, true)]
    [InlineData(TaskState.Succeeded, TaskState.Queued, false)]
    [InlineData(TaskState.Failed, TaskState.Running, false)]
    [InlineData(TaskState.Queued, TaskState.Succeeded, false)]
    [InlineData(TaskState.Pending, TaskState.Running, false)]
    public void The_state_machine_allows_only_lifecycle_moves(TaskState from, TaskState to, bool allowed) =>
        Assert.Equal(allowed, TaskStateRules.CanTransition(from, to));

    [Fact]
    public void Every_lifecycle_transition_is_one_the_state_machine_allows()
    {
        var task = Queued(retry: 1);
        var lease = Lease(task);
        Assert.True(TaskStateRules.CanTransition(task.Status, lease.Task.Status));
        foreach (var type in new[] { ReportEventType.Started, ReportEventType.Finished, ReportEventType.Released })
        {
            var next = Lifecycle.Apply(lease.Task, lease.Execution, Event(lease, type, 1), Now, 1024)!.Value;
            if (next.Task.Status != lease.Task.Status) Assert.True(TaskStateRules.CanTransition(lease.Task.Status, next.Task.Status), $"{type}");
        }
    }
}
