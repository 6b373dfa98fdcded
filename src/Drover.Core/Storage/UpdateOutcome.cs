using Drover.Model;

namespace Drover.Storage;

/// <summary>An update's answer: the task as it is now, or why nothing changed.</summary>
public sealed record UpdateOutcome(TaskRecord? Task, bool NotFound, bool AlreadyEnded)
{
    public static UpdateOutcome Updated(TaskRecord task) => new(task, false, false);
    public static UpdateOutcome Missing { get; } = new(null, true, false);
    public static UpdateOutcome Ended(TaskRecord task) => new(task, false, true);
}
