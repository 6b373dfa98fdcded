namespace Drover.Contracts;

/// <summary>What a worker says about itself when it registers (<c>POST /api/workers</c>).</summary>
public sealed record WorkerRegistration
{
    public string? Name { get; init; }
    public string? Hostname { get; init; }
    public int? Pid { get; init; }
    public int Concurrency { get; init; } = 1;
    public int Prefetch { get; init; }
    /// <summary><c>--prefetch auto</c>: the worker sizes its prefetch itself from its recent run times (<see cref="Prefetch"/> is then 0).</summary>
    public bool PrefetchAuto { get; init; }
    public string? Batch { get; init; }
    public List<string>? Handlers { get; init; }
    /// <summary>A recruiter may move this worker to another batch when it is idle (<c>drover worker --recyclable</c>).</summary>
    public bool Recyclable { get; init; }
    /// <summary>The dataset shards the worker serves (<c>drover worker --data-dir</c>), and the handler their queries go to.</summary>
    public ShardAnnouncement? Data { get; init; }
}
