namespace Drover.Contracts;

/// <summary>
/// A create's answer when the caller asked for a minimal one (<c>Prefer: return=minimal</c>): the
/// tasks' ids in the order sent, without their records.
/// </summary>
public sealed record CreatedIds(IReadOnlyList<Guid> Ids);
