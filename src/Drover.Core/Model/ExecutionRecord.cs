using System.Text.Json.Serialization;

namespace Drover.Model;

/// <summary>One attempt of a task on one worker.</summary>
public sealed record ExecutionRecord
{
    public required Guid Id { get; init; }
    public required Guid TaskId { get; init; }
    public required Guid WorkerId { get; init; }
    public required int Attempt { get; init; }
    public required ExecutionState Status { get; init; }
    public required DateTimeOffset Assigned { get => Compact.Time(_assigned)!.Value; init => _assigned = Compact.Of(value); }
    public DateTimeOffset? Started { get => Compact.Time(_started); init => _started = Compact.Of(value); }
    public DateTimeOffset? Completed { get => Compact.Time(_completed); init => _completed = Compact.Of(value); }
    public int? ExitCode { get; init; }
    public bool TimedOut { get; init; }
    public string? Reason { get; init; }
    /// <summary>Every signal asked for during this attempt, and when the worker was handed it.</summary>
    public IReadOnlyList<SignalRecord>? Signals { get; init; }
    /// <summary>For a task with data to move: the phase, the run's folder, the bytes and time of staging and uploading.</summary>
    public TransferRecord? Transfer { get; init; }

    // Times as UTC ticks (Compact): three executions are made per task run, 176 bytes each with them as DateTimeOffsets.
    private long _assigned, _started = Compact.None, _completed = Compact.None;

    [JsonIgnore]
    public bool IsOpen => Status is ExecutionState.Assigned or ExecutionState.Running;
}
