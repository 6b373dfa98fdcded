namespace Drover.Contracts;

/// <summary>
/// What the server wants of a worker after <c>PATCH</c> or <c>DELETE /api/workers/{id}</c>: carried by the
/// answer to its next lease or report, applied at once.
/// </summary>
public sealed record WorkerControl
{
    public int Concurrency { get; init; }
    public int Prefetch { get; init; }
    /// <summary>Size the prefetch from recent run times (<c>auto</c>) instead of <see cref="Prefetch"/>.</summary>
    public bool PrefetchAuto { get; init; }
    public string? Batch { get; init; }
    public bool Paused { get; init; }
    /// <summary>Take no new work, let what runs finish, then exit.</summary>
    public bool Drain { get; init; }
}

/// <summary><c>PATCH /api/workers/{id}</c>: the fields to change; absent ones stay. <c>"batch": ""</c> serves every batch.</summary>
public sealed record WorkerSettings
{
    public int? Concurrency { get; init; }
    public int? Prefetch { get; init; }
    /// <summary><c>true</c>: size the prefetch from recent run times; a <see cref="Prefetch"/> given sets a fixed one instead.</summary>
    public bool? PrefetchAuto { get; init; }
    public string? Batch { get; init; }
    public bool? Paused { get; init; }
}
