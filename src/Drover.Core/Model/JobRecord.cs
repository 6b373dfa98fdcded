namespace Drover.Model;

public enum JobAction
{
    /// <summary>Start a worker through a provider.</summary>
    Deploy,
    /// <summary>Drain a provider's worker and give it back through its provider.</summary>
    Destroy,
    /// <summary>Move an idle worker to another batch.</summary>
    Recycle,
}

public enum JobState
{
    Pending,
    Running,
    Succeeded,
    Failed,
}

/// <summary>An internal server operation (a deploy, destroy or recycle), tracked with its status and log.</summary>
public sealed record JobRecord
{
    public const int MaxLogChars = 64 * 1024;

    public required Guid Id { get; init; }
    public required JobAction Action { get; init; }
    /// <summary>The worker it acts on, by name.</summary>
    public required string Target { get; init; }
    public required string Provider { get; init; }
    /// <summary>The batch the worker was deployed for or moved to.</summary>
    public string? Batch { get; init; }
    public required JobState Status { get; init; }
    /// <summary>What the job did and what its command printed, capped at <see cref="MaxLogChars"/>.</summary>
    public string? Log { get; init; }
    /// <summary>Why it failed, in one line.</summary>
    public string? Reason { get; init; }
    /// <summary>How many times it was tried again after failing.</summary>
    public int Retry { get; init; }
    public required DateTimeOffset Created { get; init; }
    public DateTimeOffset? Started { get; init; }
    public DateTimeOffset? Ended { get; init; }

    public static bool IsEnded(JobState state) => state is JobState.Succeeded or JobState.Failed;
}
