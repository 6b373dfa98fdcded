using Drover.Contracts;
using Drover.Worker.Handlers;
using Microsoft.Extensions.Logging;

namespace Drover.Worker.Execution;

/// <summary>
/// Runs named .NET handlers in the worker's process. A handler that throws ends its task failed with
/// the exception's type, message and stack trace; one that outlives its timeout or a stop is left
/// behind (a thread cannot be killed) and its task reported as timed out or stopped.
/// </summary>
/// <param name="status">Sets a task's status (with its token).</param>
/// <param name="record">Reads a task's record (with its token).</param>
public sealed class HandlerRunner(TaskHandlers handlers, Func<LeasedTask, StatusUpdate, CancellationToken, Task> status,
    Func<LeasedTask, CancellationToken, Task<Model.TaskRecord?>> record, ILogger logger, IServiceProvider? services) : ITaskRunner
{
    public bool CanRun(LeasedTask lease) => lease.Handler is not null;

    public async Task<ReportEvent> RunAsync(RunningTask task)
    {
        var lease = task.Lease;
        if (!handlers.TryGet(lease.Handler!, out var handler))
            return task.Finished(exitCode: null, error: $"no handler named '{lease.Handler}' on this worker (it has: {string.Join(", ", handlers.Names)})");
        var parent = Observability.TaskTraces.ContextOf(lease.Env);
        if (lease.Handler == LeasedTask.EchoHandler && parent is null)
        {
            // The built-in echo (it cannot be replaced) ends at once with its args: no timeout can pass,
            // no stop can come, and its context goes unused, so none is made (dispatch alone is what
            // it measures). It reports one event, finished, and an empty output as any handler that
            // writes nothing.
            _ = (task.Stdout, task.Stderr);
            return task.Finished(exitCode: 0, result: lease.Args);
        }
        // echo ends at once: one event (finished) instead of two.
        if (lease.Handler != LeasedTask.EchoHandler) task.MarkStarted();
        using var timeout = new Deadline(lease.Timeout);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(task.Stopping, timeout.Token);
        // Under the task's trace: a handler's own spans (and Activity.Current) are the task's children.
        using var activity = parent is { } traceParent
            ? Observability.TaskTraces.Source.StartActivity($"drover.handler {lease.Handler}", System.Diagnostics.ActivityKind.Internal, traceParent)
            : null;
        activity?.SetTag("drover.task.id", lease.TaskId.ToString());
        var context = new HandlerContext(lease, stop.Token, (update, ct) => status(lease, update, ct), ct => record(lease, ct), logger, services,
            new CaptureWriter(task.Stdout), new CaptureWriter(task.Stderr));
        try
        {
            var result = await handler(lease.Args, context).WaitAsync(stop.Token);
            return task.Finished(exitCode: 0, result: result);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            return timeout.HasPassed && !task.Stopping.IsCancellationRequested
                ? task.Finished(exitCode: null, timedOut: true)
                : task.Finished(exitCode: null, error: "stopped");
        }
        catch (Exception ex)
        {
            return task.Finished(exitCode: null, error: $"{ex.GetType().FullName}: {ex.Message}\n{ex.StackTrace}");
        }
    }
}
