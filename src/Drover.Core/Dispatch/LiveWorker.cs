using Drover.Model;

namespace Drover.Dispatch;

/// <summary>What dispatch needs to know of a worker: its batch, its handlers, its state, and the tasks it holds.</summary>
public sealed class LiveWorker(Guid id, string? batch, WorkerState status, DateTimeOffset lastSeen, IEnumerable<string>? handlers = null)
{
    public Guid Id { get; } = id;
    public string? Batch { get; set; } = batch;

    /// <summary>The handlers it runs; every worker runs commands. A task naming another handler is never leased to it.</summary>
    public IReadOnlySet<string> Handlers { get; } = new HashSet<string>(handlers ?? [], StringComparer.Ordinal);

    /// <summary>Told to take no new work (paused, or draining): nothing is leased to it.</summary>
    public bool HoldsBack { get; set; }

    private Contracts.WorkerControl? _pendingControl;

    /// <summary>Settings changed and not yet handed to the worker.</summary>
    public Contracts.WorkerControl? PendingControl
    {
        get => Volatile.Read(ref _pendingControl);
        set => Volatile.Write(ref _pendingControl, value);
    }

    /// <summary>The pending settings, once: safe to call outside the store's lock.</summary>
    public Contracts.WorkerControl? TakePendingControl() => Interlocked.Exchange(ref _pendingControl, null);
    public WorkerState Status { get; set; } = status;
    // Ticks (UTC), so that a reader outside the owner's serialization (LiveState.LeaseFindsNothing) never sees half a value.
    private long _lastSeen = lastSeen.UtcTicks;

    public DateTimeOffset LastSeen
    {
        get => new(Volatile.Read(ref _lastSeen), TimeSpan.Zero);
        set => Volatile.Write(ref _lastSeen, value.UtcTicks);
    }

    /// <summary>Ids of the tasks this worker holds under a lease.</summary>
    public HashSet<Guid> Held { get; } = [];
}
