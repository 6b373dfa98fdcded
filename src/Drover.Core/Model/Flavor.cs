namespace Drover.Model;

/// <summary>A kind of machine a provider can deploy (<c>GET /api/flavors</c>).</summary>
public sealed record Flavor
{
    public required string Name { get; init; }
    public required string Provider { get; init; }
    public int Cpus { get; init; }
    /// <summary>Memory in bytes.</summary>
    public long Memory { get; init; }
    /// <summary>Cost per hour, in whatever unit the operator counts.</summary>
    public double Cost { get; init; }
    public string? Region { get; init; }
}
