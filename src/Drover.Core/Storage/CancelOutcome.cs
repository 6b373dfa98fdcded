using Drover.Model;

namespace Drover.Storage;

/// <summary>A cancel's answer: the task as it is now, or why nothing changed.</summary>
public sealed record CancelOutcome(TaskRecord? Task, bool NotFound, bool AlreadyEnded)
{
    public static CancelOutcome Canceled(TaskRecord task) => new(task, false, false);
    public static CancelOutcome Missing { get; } = new(null, true, false);
    public static CancelOutcome Ended(TaskRecord task) => new(task, false, true);
}
