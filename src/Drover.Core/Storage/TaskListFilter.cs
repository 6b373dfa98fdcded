using Drover.Model;

namespace Drover.Storage;

/// <summary>The filters of <c>GET /api/tasks</c>; <see cref="After"/> is the cursor (the last id seen).</summary>
public sealed record TaskListFilter
{
    public const int DefaultLimit = 100;
    public const int MaxLimit = 10_000;

    public TaskState? Status { get; init; }
    public string? Batch { get; init; }
    public string? Group { get; init; }
    public Guid? WorkerId { get; init; }
    public Guid? After { get; init; }
    public int Limit { get; init; } = DefaultLimit;
    /// <summary>A caller's scope: only tasks of these groups (when given).</summary>
    public IReadOnlyList<string>? InGroups { get; init; }
    /// <summary>A caller's scope: only tasks of these batches (when given).</summary>
    public IReadOnlyList<string>? InBatches { get; init; }
}
