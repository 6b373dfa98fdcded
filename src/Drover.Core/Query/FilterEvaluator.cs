using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using Drover.Model;

namespace Drover.Query;

/// <summary>
/// Runs a filter and a sort over records in memory, with the semantics the SQL translation has:
/// a comparison never matches an absent value, <c>$ne</c>/<c>$nin</c> do, text compares
/// ordinally (as SQLite's BINARY and PostgreSQL's "C" collations), and absent values sort lowest.
/// </summary>
public static class FilterEvaluator
{
    private static readonly ConcurrentDictionary<(string, bool), Regex> Regexes = new();

    public static bool Matches(Filter filter, TaskRecord task) => Matches(filter, field => field.Value(task));

    /// <summary>Any record: <paramref name="valueOf"/> gives each field's value (the audit log's records).</summary>
    public static bool Matches(Filter filter, Func<TaskField, object?> valueOf) => filter switch
    {
        AndFilter and => and.Parts.All(p => Matches(p, valueOf)),
        OrFilter or => or.Parts.Any(p => Matches(p, valueOf)),
        NotFilter not => !Matches(not.Inner, valueOf),
        CompareFilter c => Compare(c.Op, Normalize(valueOf(c.Field)), c.Value),
        InFilter i => i.Values.Any(v => Compare(CompareOp.Eq, Normalize(valueOf(i.Field)), v)) != i.Negated,
        ExistsFilter e => (valueOf(e.Field) is not null) == e.Exists,
        RegexFilter r => valueOf(r.Field) is string text && Regex(r.Pattern, r.IgnoreCase).IsMatch(text),
        _ => throw new NotSupportedException(filter.GetType().Name),
    };

    /// <summary>Compiled once per pattern; a SQL store's regex function shares this cache.</summary>
    public static Regex Regex(string pattern, bool ignoreCase)
    {
        if (Regexes.Count > 1000) Regexes.Clear();
        return Regexes.GetOrAdd((pattern, ignoreCase), key => FilterParser.Compile(key.Item1, key.Item2));
    }

    public static IEnumerable<TaskRecord> Sort(IEnumerable<TaskRecord> tasks, IReadOnlyList<SortKey> sort)
    {
        var list = tasks.ToList();
        list.Sort((a, b) =>
        {
            foreach (var key in sort)
            {
                var order = CompareNullsLow(Normalize(key.Field.Value(a)), Normalize(key.Field.Value(b)));
                if (order != 0) return key.Descending ? -order : order;
            }
            // Ties go by submission order, in the direction of the last key (as SqlFilter.OrderBy).
            return sort.Count > 0 && sort[^1].Descending ? b.Seq.CompareTo(a.Seq) : a.Seq.CompareTo(b.Seq);
        });
        return list;
    }

    private static object? Normalize(object? value) => value switch
    {
        Guid id => id.ToString(),
        int i => (long)i,
        _ => value,
    };

    private static bool Compare(CompareOp op, object? field, object? value)
    {
        if (value is null) return op == CompareOp.Eq ? field is null : op == CompareOp.Ne && field is not null;
        if (field is null) return op == CompareOp.Ne;
        var order = CompareValues(field, value);
        return op switch
        {
            CompareOp.Eq => order == 0,
            CompareOp.Ne => order != 0,
            CompareOp.Gt => order > 0,
            CompareOp.Gte => order >= 0,
            CompareOp.Lt => order < 0,
            _ => order <= 0,
        };
    }

    private static int CompareNullsLow(object? a, object? b) =>
        a is null ? (b is null ? 0 : -1) : b is null ? 1 : CompareValues(a, b);

    private static int CompareValues(object a, object b) => (a, b) switch
    {
        (string x, string y) => string.CompareOrdinal(x, y),
        (long x, long y) => x.CompareTo(y),
        (double x, double y) => x.CompareTo(y),
        (long x, double y) => ((double)x).CompareTo(y),
        (double x, long y) => x.CompareTo(y),
        (DateTimeOffset x, DateTimeOffset y) => x.CompareTo(y),
        _ => throw new InvalidOperationException($"cannot compare {a.GetType().Name} with {b.GetType().Name}"),
    };
}
