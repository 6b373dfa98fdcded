using System.Text;

namespace Drover.Query;

/// <summary>What differs between the SQL stores when a query becomes SQL.</summary>
public interface ISqlDialect
{
    /// <summary>Adds a parameter holding <paramref name="value"/> (of <paramref name="kind"/>) and returns its placeholder.</summary>
    string Parameter(object value, FieldKind kind);

    /// <summary>The column as compared and sorted (PostgreSQL adds a byte-order collation to text).</summary>
    string Column(TaskField field);

    /// <summary>A boolean expression: <paramref name="column"/> matches the pattern in <paramref name="pattern"/>.</summary>
    string Regex(string column, string pattern, bool ignoreCase);

    /// <summary>
    /// A boolean expression: <paramref name="column"/> is one of many values, passed as one parameter
    /// (an array), so a long <c>$in</c> list never meets the engine's limit on parameters.
    /// </summary>
    string InMany(string column, IReadOnlyList<object> values, FieldKind kind);
}

/// <summary>
/// Turns a <see cref="Filter"/> and a sort into SQL text whose every value is a parameter: nothing
/// from a request is ever spliced into SQL, and column names come only from <see cref="TaskFields"/>.
/// Each condition is two-valued (never NULL), so <c>NOT</c> means what MongoDB's <c>$not</c> does.
/// </summary>
public static class SqlFilter
{
    /// <summary>Queued tasks per handler, one grouped read (the queue gauges').</summary>
    public const string QueuedByHandler = "SELECT handler, count(*) FROM tasks WHERE status = 'queued' AND handler IS NOT NULL GROUP BY handler";

    /// <summary><c>status IN ('pending', 'queued', …)</c>: the tasks not ended, as both SQL stores' status indexes read them.</summary>
    public static readonly string Live = $"status IN ({string.Join(", ", Model.TaskStateRules.Live.Select(s => $"'{Json.Enums.Name(s)}'"))})";

    public static string Where(Filter filter, ISqlDialect dialect)
    {
        var sql = new StringBuilder();
        Append(sql, filter, dialect);
        return sql.ToString();
    }

    /// <summary>
    /// ORDER BY terms: absent values lowest, as the memory store sorts; submission order breaks ties,
    /// in the direction of the last key (so an index on (key, seq) serves "-key" read backwards).
    /// </summary>
    public static string OrderBy(IReadOnlyList<SortKey> sort, ISqlDialect dialect) =>
        string.Join(", ", sort.Select(k => dialect.Column(k.Field) + (k.Descending ? " DESC NULLS LAST" : " ASC NULLS FIRST"))
            .Append(sort.Count > 0 && sort[^1].Descending ? "seq DESC" : "seq"));

    private static void Append(StringBuilder sql, Filter filter, ISqlDialect dialect)
    {
        switch (filter)
        {
            case AndFilter { Parts.Count: 0 }:
                sql.Append("1 = 1");
                break;
            case AndFilter and:
                Join(sql, and.Parts, " AND ", dialect);
                break;
            case OrFilter or:
                Join(sql, or.Parts, " OR ", dialect);
                break;
            case NotFilter not:
                sql.Append("NOT (");
                Append(sql, not.Inner, dialect);
                sql.Append(')');
                break;
            case CompareFilter c:
                Compare(sql, c, dialect);
                break;
            case InFilter i:
                In(sql, i, dialect);
                break;
            case ExistsFilter e:
                sql.Append(dialect.Column(e.Field)).Append(e.Exists ? " IS NOT NULL" : " IS NULL");
                break;
            case RegexFilter r:
                var column = dialect.Column(r.Field);
                sql.Append('(').Append(column).Append(" IS NOT NULL AND ");
                // An anchored literal prefix ("^job-42") also bounds the column, so an index can find the candidates.
                if (!r.IgnoreCase && LiteralPrefix(r.Pattern) is { Length: > 0 } prefix && char.IsAscii(prefix[^1]) && prefix[^1] < '\x7f')
                {
                    sql.Append(column).Append(" >= ").Append(dialect.Parameter(prefix, FieldKind.Text)).Append(" AND ")
                        .Append(column).Append(" < ").Append(dialect.Parameter(prefix[..^1] + (char)(prefix[^1] + 1), FieldKind.Text)).Append(" AND ");
                }
                sql.Append(dialect.Regex(column, dialect.Parameter(r.Pattern, FieldKind.Text), r.IgnoreCase)).Append(')');
                break;
            default:
                throw new NotSupportedException(filter.GetType().Name);
        }
    }

    /// <summary>
    /// The text every match of a pattern anchored with <c>^</c> starts with: the characters up to the
    /// first one with a meaning in regular expressions (less one, if a quantifier may drop it).
    /// Empty when the pattern is not anchored, or an alternation could match something else.
    /// </summary>
    public static string LiteralPrefix(string pattern)
    {
        if (!pattern.StartsWith('^') || pattern.Contains('|')) return "";
        const string special = @".^$|?*+()[]{}\";
        var end = 1;
        while (end < pattern.Length && !special.Contains(pattern[end])) end++;
        var prefix = pattern[1..end];
        if (end < pattern.Length && pattern[end] is '?' or '*' or '{' && prefix.Length > 0) prefix = prefix[..^1];
        return prefix;
    }

    /// <summary>Up to this many <c>$in</c> values become parameters of their own; more go as one array.</summary>
    private const int InlineValues = 4;

    /// <summary>Terms joined flat; a longer list is split in halves, so thousands of terms nest only a few levels deep
    /// (SQLite refuses an expression more than 1,000 deep, and <c>a OR b OR c</c> is one level per term).</summary>
    private const int FlatTerms = 16;

    private static void Join(StringBuilder sql, IReadOnlyList<Filter> parts, string separator, ISqlDialect dialect)
    {
        sql.Append('(');
        if (parts.Count > FlatTerms)
        {
            var half = parts.Count / 2;
            Join(sql, [.. parts.Take(half)], separator, dialect);
            sql.Append(separator);
            Join(sql, [.. parts.Skip(half)], separator, dialect);
        }
        else
        {
            for (var i = 0; i < parts.Count; i++)
            {
                if (i > 0) sql.Append(separator);
                Append(sql, parts[i], dialect);
            }
        }
        sql.Append(')');
    }

    private static void Compare(StringBuilder sql, CompareFilter c, ISqlDialect dialect)
    {
        var column = dialect.Column(c.Field);
        if (c.Value is null)
        {
            sql.Append(column).Append(c.Op == CompareOp.Eq ? " IS NULL" : " IS NOT NULL");
            return;
        }
        var parameter = dialect.Parameter(c.Value, c.Field.Kind);
        if (c.Op == CompareOp.Ne)
        {
            sql.Append('(').Append(column).Append(" IS NULL OR ").Append(column).Append(" <> ").Append(parameter).Append(')');
            return;
        }
        var op = c.Op switch { CompareOp.Eq => "=", CompareOp.Gt => ">", CompareOp.Gte => ">=", CompareOp.Lt => "<", _ => "<=" };
        sql.Append('(').Append(column).Append(" IS NOT NULL AND ").Append(column).Append(' ').Append(op).Append(' ').Append(parameter).Append(')');
    }

    private static void In(StringBuilder sql, InFilter i, ISqlDialect dialect)
    {
        var column = dialect.Column(i.Field);
        var values = i.Values.Where(v => v is not null).Select(v => v!).ToList();
        var orNull = i.Values.Any(v => v is null);
        if (i.Negated) sql.Append("NOT ");
        sql.Append('(');
        sql.Append(values.Count switch
        {
            0 => "1 = 0",
            <= InlineValues => $"({column} IS NOT NULL AND {column} IN ({string.Join(", ", values.Select(v => dialect.Parameter(v, i.Field.Kind)))}))",
            _ => $"({column} IS NOT NULL AND {dialect.InMany(column, values, i.Field.Kind)})",
        });
        if (orNull) sql.Append(" OR ").Append(column).Append(" IS NULL");
        sql.Append(')');
    }
}
