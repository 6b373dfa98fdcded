namespace Drover.Contracts;

/// <summary>
/// The answer to a report. <see cref="Stale"/> lists executions the worker no longer holds (its lease
/// expired and the task went elsewhere, or it was canceled): the worker stops them and forgets them.
/// <see cref="Signals"/> are for executions it holds.
/// </summary>
public sealed record ReportResult(IReadOnlyList<Guid> Stale)
{
    public IReadOnlyList<SignalCommand> Signals { get; init; } = [];
    /// <summary>New settings for the worker, when they changed.</summary>
    public WorkerControl? Control { get; init; }
    /// <summary>The server does not know the worker's shards (it restarted): a worker with a data directory announces them again.</summary>
    public bool AnnounceShards { get; init; }
}
