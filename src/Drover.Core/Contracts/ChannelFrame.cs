namespace Drover.Contracts;

/// <summary>What a <see cref="ChannelFrame"/> carries.</summary>
public enum ChannelFrameType
{
    /// <summary>Worker → server: how many more tasks the worker has room for (<see cref="ChannelFrame.Max"/>), counting the <see cref="ChannelFrame.Received"/> tasks it has had so far.</summary>
    Want,

    /// <summary>Worker → server: a <see cref="WorkerReport"/>, answered by an <see cref="Ack"/> with the same sequence number once it is committed.</summary>
    Report,

    /// <summary>Server → worker: tasks leased to it, pushed as they become ready.</summary>
    Tasks,

    /// <summary>Server → worker: the answer to a report, after its commit.</summary>
    Ack,

    /// <summary>Server → worker: signals for its executions and new settings, as they are given.</summary>
    Instructions,

    /// <summary>Server → worker: the channel cannot go on (the worker is unknown); the server closes it after this frame.</summary>
    Error,
}

/// <summary>
/// One message on the worker channel (<c>GET /api/workers/{id}/channel</c>, a WebSocket): the lease and
/// report protocol of the HTTP endpoints, without a request per exchange. The server pushes tasks while
/// the worker has room (it says how much with <see cref="ChannelFrameType.Want"/>), and acknowledges
/// reports in order after their commit. Only the fields of its type are set.
/// </summary>
public sealed record ChannelFrame
{
    public required ChannelFrameType Type { get; init; }

    /// <summary>Want: the room the worker has now for tasks (0: send none).</summary>
    public int? Max { get; init; }

    /// <summary>
    /// Want: how many tasks the worker has received on this channel. Tasks pushed since are in flight,
    /// and count against <see cref="Max"/>, so that a want crossing a push never over-fills the worker.
    /// </summary>
    public long? Received { get; init; }

    /// <summary>Report and Ack: the report's number on this channel, to match its answer.</summary>
    public long? Seq { get; init; }

    public WorkerReport? Report { get; init; }

    public ReportResult? Result { get; init; }

    public IReadOnlyList<LeasedTask>? Tasks { get; init; }

    public IReadOnlyList<SignalCommand>? Signals { get; init; }

    public WorkerControl? Control { get; init; }

    /// <summary>Error: the HTTP status the same exchange would have had (404: register again).</summary>
    public int? Status { get; init; }

    /// <summary>Error: why.</summary>
    public string? Detail { get; init; }
}
