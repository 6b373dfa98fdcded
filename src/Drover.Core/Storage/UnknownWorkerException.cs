namespace Drover.Storage;

/// <summary>A worker id the store has never registered: the worker must register again.</summary>
public sealed class UnknownWorkerException(Guid workerId)
    : Exception($"No worker {workerId} is registered; register again with POST /api/workers.")
{
    public Guid WorkerId { get; } = workerId;
}
