namespace Drover.Contracts;

/// <summary>
/// <c>POST /api/recruiters</c> (batch, maximum_workers and tasks_per_worker required; rank 1 and provider
/// <c>local</c> unless given) and
/// <c>PATCH /api/recruiters/{batch}/{rank}</c> (any of the rest): absent fields keep their value or default.
/// </summary>
public sealed record RecruiterSpec
{
    public string? Batch { get; init; }
    public int? Rank { get; init; }
    public string? Provider { get; init; }
    public string? Flavor { get; init; }
    public int? MinimumTasks { get; init; }
    public int? MaximumWorkers { get; init; }
    public int? TasksPerWorker { get; init; }
    public int? WorkerConcurrency { get; init; }
    public int? WorkerPrefetch { get; init; }
}
