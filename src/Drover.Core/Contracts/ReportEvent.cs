using System.Text.Json;

namespace Drover.Contracts;

/// <summary>One thing that happened to one execution on a worker.</summary>
public sealed record ReportEvent
{
    public required ReportEventType Type { get; init; }
    public required Guid ExecutionId { get; init; }
    public int? ExitCode { get; init; }
    public bool TimedOut { get; init; }
    /// <summary>Why the run failed when there is no exit code to tell (could not start, handler threw).</summary>
    public string? Error { get; init; }
    public JsonElement? Result { get; init; }
    /// <summary>For <see cref="ReportEventType.Output"/> the new text; for <see cref="ReportEventType.Finished"/> the whole kept tail.</summary>
    public string? Stdout { get; init; }
    public string? Stderr { get; init; }
    public long? StdoutBytes { get; init; }
    public long? StderrBytes { get; init; }
    /// <summary>For <see cref="ReportEventType.Started"/>, <see cref="ReportEventType.Phase"/> and <see cref="ReportEventType.Finished"/> of a task with data to move.</summary>
    public Model.TransferRecord? Transfer { get; init; }
    /// <summary>For <see cref="ReportEventType.Finished"/>: the earlier task whose outputs were reused instead of running.</summary>
    public Guid? CachedFrom { get; init; }
    /// <summary>For <see cref="ReportEventType.Finished"/> of a cache task: its key (see <see cref="Model.TaskRecord.CacheKey"/>).</summary>
    public string? CacheKey { get; init; }
}
