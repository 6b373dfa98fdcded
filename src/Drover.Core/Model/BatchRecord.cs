namespace Drover.Model;

/// <summary>A batch as <c>GET /api/batches</c> shows it: how many of its tasks are in each state, and who serves it.</summary>
public sealed record BatchRecord
{
    public required string Name { get; init; }
    public bool Paused { get; init; }
    /// <summary>Tasks per state name; states with none are left out.</summary>
    public required IReadOnlyDictionary<string, long> Counts { get; init; }
    public long Total => Counts.Values.Sum();
    /// <summary>Workers that lease only this batch or hold one of its tasks now.</summary>
    public required IReadOnlyList<Guid> Workers { get; init; }
}
