namespace Drover.Model;

public sealed record WorkerRecord
{
    public required Guid Id { get; init; }
    public required string Name { get; init; }
    public string? Hostname { get; init; }
    public int? Pid { get; init; }
    public required int Concurrency { get; init; }
    public required int Prefetch { get; init; }
    /// <summary>It sizes its prefetch itself (<c>--prefetch auto</c>): <see cref="Prefetch"/> is then 0.</summary>
    public bool PrefetchAuto { get; init; }
    /// <summary>The only batch this worker serves, or null for every batch.</summary>
    public string? Batch { get; init; }
    public IReadOnlyList<string>? Handlers { get; init; }
    public required WorkerState Status { get; init; }
    /// <summary>Tasks the worker holds now (leased, running or paused).</summary>
    public int Running { get; init; }
    public required DateTimeOffset Registered { get; init; }
    public required DateTimeOffset LastSeen { get; init; }
    /// <summary>Told to take no new work for now.</summary>
    public bool Paused { get; init; }
    /// <summary>Told to drain and exit.</summary>
    public bool Drain { get; init; }
    /// <summary>The machine's state at the worker's last heartbeat that carried it.</summary>
    public MachineStats? Stats { get; init; }
    /// <summary>A recruiter may move it to another batch when it is idle (always so for a provider's workers).</summary>
    public bool Recyclable { get; init; }
    /// <summary>The provider that started it, if one did (a recruiter's worker); null for one started by hand.</summary>
    public string? Provider { get; init; }
    public string? Flavor { get; init; }
}
