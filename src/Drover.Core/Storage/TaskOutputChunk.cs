namespace Drover.Storage;

/// <summary>New stdout and stderr text of one execution, as the worker streamed it: what followers of the task see live.</summary>
public sealed record TaskOutputChunk(Guid Task, Guid Execution, string? Stdout, string? Stderr)
{
    /// <summary>True when text before this chunk was dropped because its follower fell behind.</summary>
    public bool Skipped { get; init; }

    public int Length => (Stdout?.Length ?? 0) + (Stderr?.Length ?? 0);
}
