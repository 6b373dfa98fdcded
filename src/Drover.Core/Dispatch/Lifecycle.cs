using Drover.Contracts;
using Drover.Json;
using Drover.Model;
using Drover.Storage;

namespace Drover.Dispatch;

/// <summary>
/// The task lifecycle as pure functions over records, shared by every store backend so that they
/// agree on what each event does. A store loads the task and execution, applies one of these, and
/// writes back what it returns.
/// </summary>
public static class Lifecycle
{
    public static Transition Lease(TaskRecord task, Guid workerId, Guid executionId, DateTimeOffset now, DateTimeOffset leaseExpires)
    {
        var attempt = task.Attempts + 1;
        var leased = task with
        {
            Status = TaskState.Assigned,
            WorkerId = workerId,
            ExecutionId = executionId,
            Attempts = attempt,
            LeaseExpires = leaseExpires,
            Assigned = now,
            // What a previous attempt left behind is replaced by this one.
            Started = null,
            Completed = null,
            ExitCode = null,
            Result = null,
            Error = null,
            Stdout = null,
            Stderr = null,
            StdoutBytes = null,
            StderrBytes = null,
            Reason = null,
            StatusMessage = null,
            Progress = null,
            Signals = null,
            Transfer = null,
            CachedFrom = null,
            CacheKey = null,
        };
        var execution = new ExecutionRecord
        {
            Id = executionId,
            TaskId = task.Id,
            WorkerId = workerId,
            Attempt = attempt,
            Status = ExecutionState.Assigned,
            Assigned = now,
        };
        return new Transition(leased, execution);
    }

    public static LeasedTask ToLeasedTask(Transition lease) => new()
    {
        ExecutionId = lease.Execution.Id,
        TaskId = lease.Task.Id,
        Attempt = lease.Execution.Attempt,
        Command = lease.Task.Command,
        Shell = lease.Task.Shell,
        Handler = lease.Task.Handler,
        Args = lease.Task.Args,
        Env = lease.Task.Env,
        Timeout = lease.Task.Timeout,
        Input = lease.Task.Input,
        Resource = lease.Task.Resource,
        Output = lease.Task.Output,
        OutputOn = lease.Task.OutputOn,
        Container = lease.Task.Container,
        ContainerOptions = lease.Task.ContainerOptions,
        Cache = lease.Task.Cache,
        LeaseExpires = lease.Task.LeaseExpires!.Value,
    };

    /// <summary>
    /// The open execution of a leased task, as its record describes it: a store may keep only closed
    /// executions and derive the open one from the task.
    /// </summary>
    public static ExecutionRecord? OpenExecution(TaskRecord task) =>
        TaskStateRules.IsLeased(task.Status) && task is { ExecutionId: { } id, WorkerId: { } worker, Assigned: { } assigned }
            ? new ExecutionRecord
            {
                Id = id,
                TaskId = task.Id,
                WorkerId = worker,
                Attempt = task.Attempts,
                Status = task.Status == TaskState.Assigned ? ExecutionState.Assigned : ExecutionState.Running,
                Assigned = assigned,
                Started = task.Started,
                Signals = task.Signals,
                Transfer = task.Transfer,
            }
            : null;

    /// <summary>
    /// A signal for a leased task: recorded on the execution, and held for its worker until handed
    /// over (<see cref="Deliver"/>). <c>pause</c> shows the task <c>paused</c>, <c>resume</c> running again.
    /// </summary>
    public static Transition Signal(TaskRecord task, ExecutionRecord execution, TaskSignal signal, DateTimeOffset now)
    {
        var signals = (IReadOnlyList<SignalRecord>)[.. task.Signals ?? [], new SignalRecord { Signal = signal, At = now }];
        var status = signal switch
        {
            TaskSignal.Pause => TaskState.Paused,
            TaskSignal.Resume when task.Status == TaskState.Paused => task.Started is null ? TaskState.Assigned : TaskState.Running,
            _ => task.Status,
        };
        return new Transition(task with { Status = status, Signals = signals }, execution with { Signals = signals });
    }

    /// <summary>The signals not yet handed to the worker, and the task with them marked handed over.</summary>
    public static (TaskRecord Task, List<SignalCommand> Commands) Deliver(TaskRecord task, DateTimeOffset now)
    {
        if (task.Signals is null || task.Signals.All(s => s.Delivered is not null) || task.ExecutionId is not { } execution) return (task, []);
        var commands = task.Signals.Where(s => s.Delivered is null).Select(s => new SignalCommand(execution, s.Signal)).ToList();
        return (task with { Signals = [.. task.Signals.Select(s => s.Delivered is null ? s with { Delivered = now } : s)] }, commands);
    }

    /// <summary>What a running task says of itself: its status message and progress (what is not given stays).</summary>
    public static TaskRecord Status(TaskRecord task, StatusUpdate status) =>
        task with { StatusMessage = status.Message ?? task.StatusMessage, Progress = status.Progress ?? task.Progress };

    /// <summary>True when a task has undelivered signals.</summary>
    public static bool HasUndelivered(TaskRecord task) => task.Signals?.Any(s => s.Delivered is null) == true;

    /// <summary>True when the event concerns the task's current execution and may still change it.</summary>
    public static bool IsCurrent(TaskRecord task, ExecutionRecord execution) =>
        task.ExecutionId == execution.Id && execution.IsOpen && TaskStateRules.IsLeased(task.Status);

    /// <summary>Applies a worker's event; null when it no longer applies (the execution is stale).</summary>
    public static Transition? Apply(TaskRecord task, ExecutionRecord execution, ReportEvent e, DateTimeOffset now, int outputLimitBytes)
    {
        if (!IsCurrent(task, execution)) return null;
        return e.Type switch
        {
            ReportEventType.Started => Start(task, execution, e, now),
            ReportEventType.Phase => new Transition(task with { Transfer = e.Transfer ?? task.Transfer }, execution with { Transfer = e.Transfer ?? task.Transfer }),
            ReportEventType.Output => new Transition(AppendOutput(task, e, outputLimitBytes), execution),
            ReportEventType.Finished => Finish(task, execution, e, now, outputLimitBytes),
            ReportEventType.Released => Release(task, execution, now),
            _ => null,
        };
    }

    /// <summary>The worker handed the task back (it is stopping): queued again, no retry used.</summary>
    public static Transition Release(TaskRecord task, ExecutionRecord execution, DateTimeOffset now) =>
        Requeue(task, execution, ExecutionState.Released, "handed back by its worker, which was stopping", now);

    /// <summary>The worker went silent: the attempt is lost and the task runs again elsewhere.</summary>
    public static Transition Expire(TaskRecord task, ExecutionRecord execution, DateTimeOffset now) =>
        Requeue(task, execution, ExecutionState.Lost, "lease expired: the worker stopped heartbeating", now);

    /// <summary>The task is canceled while a worker holds it: the attempt ends canceled too.</summary>
    /// <remarks>A kill for the worker goes with it, so that the processes stop at once, not when they end.</remarks>
    public static Transition Cancel(TaskRecord task, ExecutionRecord execution, string reason, DateTimeOffset now)
    {
        var signals = (IReadOnlyList<SignalRecord>)[.. task.Signals ?? [], new SignalRecord { Signal = TaskSignal.Kill, At = now }];
        return new(task with { Status = TaskState.Canceled, Completed = now, LeaseExpires = null, Reason = reason, Signals = signals },
            execution with { Status = ExecutionState.Canceled, Completed = now, Reason = reason, Signals = signals, Transfer = task.Transfer });
    }

    private static Transition Start(TaskRecord task, ExecutionRecord execution, ReportEvent e, DateTimeOffset now)
    {
        if (task.Status != TaskState.Assigned) return new Transition(task, execution);
        var transfer = e.Transfer ?? task.Transfer;
        return new Transition(
            task with { Status = TaskState.Running, Started = now, Transfer = transfer },
            execution with { Status = ExecutionState.Running, Started = now, Transfer = transfer });
    }

    private static TaskRecord AppendOutput(TaskRecord task, ReportEvent e, int limit)
    {
        // The byte totals only grow, so a chunk whose total is not past what is kept was applied
        // already: a report retried after its answer was lost must not repeat output.
        var newStdout = e.Stdout is not null && (e.StdoutBytes is null || e.StdoutBytes > (task.StdoutBytes ?? 0));
        var newStderr = e.Stderr is not null && (e.StderrBytes is null || e.StderrBytes > (task.StderrBytes ?? 0));
        return task with
        {
            Stdout = newStdout ? OutputTail.Append(task.Stdout, e.Stdout!, limit) : task.Stdout,
            Stderr = newStderr ? OutputTail.Append(task.Stderr, e.Stderr!, limit) : task.Stderr,
            StdoutBytes = Math.Max(e.StdoutBytes ?? 0, task.StdoutBytes ?? 0),
            StderrBytes = Math.Max(e.StderrBytes ?? 0, task.StderrBytes ?? 0),
        };
    }

    private static Transition Finish(TaskRecord task, ExecutionRecord execution, ReportEvent e, DateTimeOffset now, int limit)
    {
        var succeeded = e.ExitCode == 0 && !e.TimedOut && e.Error is null;
        var reason = e.TimedOut ? $"timed out after {Durations.Format(task.Timeout ?? TimeSpan.Zero)}" : e.Error;
        var started = task.Started ?? now;
        // A run ended by a user's term or kill is over: canceled, not failed, and never retried.
        var terminated = task.Signals?.LastOrDefault(x => x.Signal is TaskSignal.Term or TaskSignal.Kill);
        if (terminated is not null && !succeeded)
            reason = $"terminated by request ({Enums.Name(terminated.Signal)})";
        var finishedExecution = execution with
        {
            Signals = task.Signals,
            Transfer = e.Transfer ?? task.Transfer,
            Status = succeeded ? ExecutionState.Succeeded : terminated is not null ? ExecutionState.Canceled : ExecutionState.Failed,
            Started = execution.Started ?? started,
            Completed = now,
            ExitCode = e.ExitCode,
            TimedOut = e.TimedOut,
            Reason = reason,
        };
        var failures = succeeded || terminated is not null ? task.Failures : task.Failures + 1;
        var retried = !succeeded && terminated is null && failures <= task.Retry;
        // One copy of the task per finish (the hot path): its end state decided first.
        var finished = task with
        {
            Status = succeeded ? TaskState.Succeeded : terminated is not null ? TaskState.Canceled : retried ? TaskState.Queued : TaskState.Failed,
            Completed = retried ? task.Completed : now,
            Failures = failures,
            Started = started,
            ExitCode = e.ExitCode,
            Result = e.Result,
            Error = e.Error,
            Stdout = e.Stdout is null ? null : OutputTail.Trim(e.Stdout, limit),
            Stderr = e.Stderr is null ? null : OutputTail.Trim(e.Stderr, limit),
            StdoutBytes = e.StdoutBytes,
            StderrBytes = e.StderrBytes,
            Reason = retried ? $"attempt {execution.Attempt} failed ({reason ?? $"exit code {e.ExitCode}"}); retry {failures} of {task.Retry}" : reason,
            LeaseExpires = null,
            Transfer = e.Transfer ?? task.Transfer,
            CachedFrom = e.CachedFrom,
            CacheKey = e.CacheKey,
            // Checkpoint: a failed attempt with retries left goes back to the queue, keeping its place.
            ExecutionId = retried ? null : task.ExecutionId,
            Signals = retried ? null : task.Signals,
        };
        return new Transition(finished, finishedExecution);
    }

    private static Transition Requeue(TaskRecord task, ExecutionRecord execution, ExecutionState executionState, string reason, DateTimeOffset now) =>
        new(task with { Status = TaskState.Queued, ExecutionId = null, LeaseExpires = null, Started = null, Reason = reason, Signals = null },
            execution with { Status = executionState, Completed = now, Reason = reason, Signals = task.Signals, Transfer = task.Transfer });
}
