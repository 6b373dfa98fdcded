namespace Drover.Storage;

/// <summary>How many ended tasks a purge deleted, and the selected tasks it kept because they have not ended.</summary>
public sealed record PurgeOutcome(long Deleted, IReadOnlyList<Guid> Refused);
