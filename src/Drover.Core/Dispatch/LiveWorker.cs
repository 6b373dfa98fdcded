using Drover.Model;

namespace Drover.Dispatch;

/// <summary>What dispatch needs to know of a worker: its batch, its state, and the tasks it holds.</summary>
public sealed class LiveWorker(Guid id, string? batch, WorkerState status, DateTimeOffset lastSeen)
{
    public Guid Id { get; } = id;
    public string? Batch { get; } = batch;
    public WorkerState Status { get; set; } = status;
    public DateTimeOffset LastSeen { get; set; } = lastSeen;

    /// <summary>Ids of the tasks this worker holds under a lease.</summary>
    public HashSet<Guid> Held { get; } = [];
}
