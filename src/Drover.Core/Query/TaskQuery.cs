namespace Drover.Query;

/// <summary>One sort key: a field, ascending or descending. Absent values sort lowest, as in MongoDB.</summary>
public sealed record SortKey(TaskField Field, bool Descending);

/// <summary>A parsed <c>POST /api/tasks/query</c>: which tasks, in what order, which page.</summary>
public sealed record TaskQuery
{
    public const int DefaultLimit = 100;
    public const int MaxLimit = 10_000;

    public Filter Filter { get; init; } = Filter.All;
    public IReadOnlyList<SortKey> Sort { get; init; } = [];
    public int Skip { get; init; }
    public int Limit { get; init; } = DefaultLimit;

    /// <summary>Whether the records must carry stdout, stderr, args and result (named in <c>keys</c>).</summary>
    public bool IncludeLargeFields { get; init; }
}
