namespace Drover.Query;

/// <summary>A parsed task filter: a tree of conditions over <see cref="TaskFields"/>, checked before use.</summary>
public abstract record Filter
{
    /// <summary>Matches every task (the empty filter <c>{}</c>).</summary>
    public static Filter All { get; } = new AndFilter([]);
}

public sealed record AndFilter(IReadOnlyList<Filter> Parts) : Filter;

public sealed record OrFilter(IReadOnlyList<Filter> Parts) : Filter;

public sealed record NotFilter(Filter Inner) : Filter;

public enum CompareOp
{
    Eq,
    Ne,
    Gt,
    Gte,
    Lt,
    Lte,
}

/// <summary>
/// <c>field op value</c>. <see cref="Value"/> is already of the field's kind (string, long, double,
/// DateTimeOffset, Guid) or null; only <see cref="CompareOp.Eq"/> and <see cref="CompareOp.Ne"/> take null.
/// </summary>
public sealed record CompareFilter(TaskField Field, CompareOp Op, object? Value) : Filter;

/// <summary><c>$in</c> (or <c>$nin</c> when <see cref="Negated"/>); a null among the values matches absent fields.</summary>
public sealed record InFilter(TaskField Field, IReadOnlyList<object?> Values, bool Negated) : Filter;

/// <summary><c>$exists</c>: the field has a (non-null) value, or has none.</summary>
public sealed record ExistsFilter(TaskField Field, bool Exists) : Filter;

/// <summary><c>$regex</c> on a text field, optionally case-insensitive (<c>$options: "i"</c>).</summary>
public sealed record RegexFilter(TaskField Field, string Pattern, bool IgnoreCase) : Filter;
