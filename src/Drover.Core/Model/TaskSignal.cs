namespace Drover.Model;

/// <summary>What a user can do to a running task: SIGSTOP, SIGCONT, SIGTERM or SIGKILL to its process group.</summary>
public enum TaskSignal
{
    Pause,
    Resume,
    Term,
    Kill,
}

/// <summary>A signal asked for during an execution, and when it was handed to the worker.</summary>
public sealed record SignalRecord
{
    public required TaskSignal Signal { get; init; }
    public required DateTimeOffset At { get; init; }
    public DateTimeOffset? Delivered { get; init; }
}
