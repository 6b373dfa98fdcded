namespace Drover.Contracts;

public sealed record LeaseResponse(IReadOnlyList<LeasedTask> Tasks);
