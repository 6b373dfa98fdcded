namespace Drover.Contracts;

/// <summary><c>POST /api/tasks/{id}/signal</c>: <c>pause</c>, <c>resume</c>, <c>term</c> or <c>kill</c>.</summary>
public sealed record SignalRequest
{
    public string? Signal { get; init; }
}
