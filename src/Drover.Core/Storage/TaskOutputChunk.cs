using Drover.Contracts;

namespace Drover.Storage;

/// <summary>
/// New stdout and stderr text of one execution, as the worker streamed it: what followers of the
/// task see live. The byte counts are each stream's total after this text, so a follower that also
/// read the kept tail can tell where the two overlap.
/// </summary>
public sealed record TaskOutputChunk(Guid Task, Guid Execution, string? Stdout, string? Stderr)
{
    public long? StdoutBytes { get; init; }
    public long? StderrBytes { get; init; }

    /// <summary>True when text before this chunk was dropped because its follower fell behind.</summary>
    public bool Skipped { get; init; }

    public int Length => (Stdout?.Length ?? 0) + (Stderr?.Length ?? 0);

    public static TaskOutputChunk From(Guid task, ReportEvent output) =>
        new(task, output.ExecutionId, output.Stdout, output.Stderr) { StdoutBytes = output.StdoutBytes, StderrBytes = output.StderrBytes };
}
