namespace Drover.Contracts;

/// <summary>The tasks leased, and signals for executions the worker already holds.</summary>
public sealed record LeaseResponse(IReadOnlyList<LeasedTask> Tasks)
{
    public IReadOnlyList<SignalCommand> Signals { get; init; } = [];
    /// <summary>New settings for the worker, when they changed.</summary>
    public WorkerControl? Control { get; init; }
}
