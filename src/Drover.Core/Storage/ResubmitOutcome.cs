using Drover.Model;

namespace Drover.Storage;

/// <summary>The new tasks, or why none was created: tasks that do not exist or have not ended.</summary>
public sealed record ResubmitOutcome(IReadOnlyList<TaskRecord> Created, IReadOnlyList<Guid> Unknown, IReadOnlyList<Guid> NotEnded)
{
    public bool Refused => Unknown.Count > 0 || NotEnded.Count > 0;
}
