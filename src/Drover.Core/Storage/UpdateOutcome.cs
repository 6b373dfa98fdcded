using Drover.Model;

namespace Drover.Storage;

/// <summary>An update's answer: the task as it is now, or why nothing changed (not found; too late: ended, or started for a new definition).</summary>
public sealed record UpdateOutcome(TaskRecord? Task, bool NotFound, bool TooLate)
{
    public static UpdateOutcome Updated(TaskRecord task) => new(task, false, false);
    public static UpdateOutcome Missing { get; } = new(null, true, false);
    public static UpdateOutcome Refused(TaskRecord task) => new(task, false, true);
}
