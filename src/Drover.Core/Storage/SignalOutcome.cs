using Drover.Model;

namespace Drover.Storage;

/// <summary>A signal's answer: the task as it is now, or why it was not signaled.</summary>
public sealed record SignalOutcome(TaskRecord? Task, bool NotFound, bool NotLeased)
{
    public static SignalOutcome Signaled(TaskRecord task) => new(task, false, false);
    public static SignalOutcome Missing { get; } = new(null, true, false);
    public static SignalOutcome NotRunning(TaskRecord task) => new(task, false, true);
}
