namespace Drover.Model;

/// <summary>
/// The data side of one execution of a task with inputs, resources or an output: its phase, the
/// folder it ran in, and what staging and uploading moved and cost.
/// </summary>
public sealed record TransferRecord
{
    public ExecutionPhase Phase { get; init; }
    /// <summary>The run's folder on the worker (it holds <c>input/ output/ tmp/ resource/</c>).</summary>
    public string? Folder { get; init; }
    /// <summary>Bytes fetched for inputs (resources found in the worker's cache count nothing).</summary>
    public long BytesIn { get; init; }
    public long BytesOut { get; init; }
    public double? StagingSeconds { get; init; }
    public double? UploadSeconds { get; init; }
}
