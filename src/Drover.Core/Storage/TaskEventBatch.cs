using Drover.Model;

namespace Drover.Storage;

/// <summary>What waited in a subscription: tasks created, the latest state of tasks changed, output, and whether the follower must re-read.</summary>
public sealed record TaskEventBatch(List<TaskRecord> Added, List<TaskRecord> Updated, List<TaskOutputChunk> Output, bool Resync)
{
    public bool IsEmpty => Added.Count == 0 && Updated.Count == 0 && Output.Count == 0 && !Resync;
}
