namespace Drover.Contracts;

/// <summary><c>POST /api/tasks/{id}/status</c>: what a running task says of itself.</summary>
public sealed record StatusUpdate
{
    public string? Message { get; init; }
    /// <summary>From 0 to 1.</summary>
    public double? Progress { get; init; }
}
