using System.Diagnostics;
using Drover.Json;
using Drover.Model;

namespace Drover.Observability;

/// <summary>
/// A task's life as one trace. The W3C <c>traceparent</c> of the request that submitted it travels
/// in the task's environment as <c>TRACEPARENT</c> (so a command sees it as OpenTelemetry SDKs expect,
/// and a .NET handler runs under an activity with that parent); when the task ends, the server that
/// committed the end records its spans under the same parent: <c>drover.task</c> from submission to
/// end, and within it <c>drover.task.wait</c> (to its last lease) and <c>drover.task.run</c>. With no
/// listener (no <c>--otlp</c>) nothing is made.
/// </summary>
public static class TaskTraces
{
    public const string SourceName = "Drover";
    public const string TraceParentVariable = "TRACEPARENT";

    public static readonly ActivitySource Source = new(SourceName);

    /// <summary>The trace context a task carries, if it carries a valid one.</summary>
    public static ActivityContext? ContextOf(IReadOnlyDictionary<string, string>? env) =>
        env is not null && env.TryGetValue(TraceParentVariable, out var parent) && ActivityContext.TryParse(parent, null, out var context) ? context : null;

    /// <summary>Records the spans of tasks that ended (called after their commit).</summary>
    public static void Ended(IReadOnlyCollection<TaskRecord> tasks)
    {
        if (!Source.HasListeners()) return;
        foreach (var task in tasks)
        {
            if (ContextOf(task.Env) is not { } parent || task.Completed is not { } completed) continue;
            using var life = Source.StartActivity("drover.task", ActivityKind.Internal, parent, startTime: task.Submitted);
            if (life is null) continue;
            life.SetTag("drover.task.id", task.Id.ToString());
            life.SetTag("drover.task.batch", task.Batch);
            life.SetTag("drover.task.state", Enums.Name(task.Status));
            if (task.Name is { } name) life.SetTag("drover.task.name", name);
            if (task.WorkerId is { } worker) life.SetTag("drover.worker.id", worker.ToString());
            if (task.ExitCode is { } exit) life.SetTag("process.exit.code", exit);
            if (task.Status != TaskState.Succeeded) life.SetStatus(ActivityStatusCode.Error, task.Reason ?? task.Error);
            if (task.Assigned is { } assigned) Span("drover.task.wait", life, task.Submitted, assigned);
            if (task.Started is { } started) Span("drover.task.run", life, started, completed);
            life.SetEndTime(completed.UtcDateTime);
        }
    }

    private static void Span(string name, Activity parent, DateTimeOffset start, DateTimeOffset end)
    {
        using var span = Source.StartActivity(name, ActivityKind.Internal, parent.Context, startTime: start);
        span?.SetEndTime(end.UtcDateTime);
    }
}
