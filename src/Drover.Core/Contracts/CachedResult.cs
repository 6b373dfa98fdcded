namespace Drover.Contracts;

/// <summary>
/// <c>GET /api/cache/{key}</c>: the newest succeeded task with that cache key, whose outputs a new
/// task with the same key reuses instead of running.
/// </summary>
public sealed record CachedResult
{
    public required Guid TaskId { get; init; }
    /// <summary>Where its outputs went (null: it had none to reuse).</summary>
    public string? Output { get; init; }
    public DateTimeOffset? Completed { get; init; }
}
