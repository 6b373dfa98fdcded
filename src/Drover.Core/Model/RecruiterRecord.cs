namespace Drover.Model;

/// <summary>
/// A per-batch rule that starts or recycles workers when the batch's tasks wait
/// (<c>POST /api/recruiters</c>). A batch may have several, tried in rank order.
/// </summary>
public sealed record RecruiterRecord
{
    public required string Batch { get; init; }
    /// <summary>Order among the batch's recruiters, lowest first; one recruiter per rank.</summary>
    public required int Rank { get; init; }
    /// <summary>The provider that deploys its workers: <c>local</c>, or one named in the server's providers file.</summary>
    public required string Provider { get; init; }
    /// <summary>A flavor of that provider, or <c>auto:cpus&gt;=8</c> for the cheapest that fits; null for the provider's first.</summary>
    public string? Flavor { get; init; }
    /// <summary>Do nothing while fewer tasks than this wait.</summary>
    public int MinimumTasks { get; init; }
    /// <summary>Recruit only while the batch has fewer workers than this.</summary>
    public required int MaximumWorkers { get; init; }
    /// <summary>One worker for every this many waiting tasks.</summary>
    public required int TasksPerWorker { get; init; }
    public int WorkerConcurrency { get; init; } = 1;
    /// <summary>Each recruited worker's prefetch; null (the default) for <c>auto</c>.</summary>
    public int? WorkerPrefetch { get; init; }
    public DateTimeOffset Created { get; init; }
    public DateTimeOffset Updated { get; init; }
    /// <summary>Answers only (not stored): its deploys that failed in a row.</summary>
    public int? DeployFailures { get; init; }
    /// <summary>Answers only (not stored): while it backs off after failed deploys, when it may deploy again.</summary>
    public DateTimeOffset? NextDeploy { get; init; }
}
