namespace Drover.Contracts;

/// <summary><c>POST /api/workers/{id}/lease</c>: up to <see cref="Max"/> tasks, waiting up to <see cref="Wait"/> seconds for one.</summary>
public sealed record LeaseRequest
{
    public int Max { get; init; } = 1;
    public double Wait { get; init; }
}
