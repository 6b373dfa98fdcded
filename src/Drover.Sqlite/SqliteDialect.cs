using Drover.Query;
using Microsoft.Data.Sqlite;

namespace Drover.Sqlite;

/// <summary>
/// Query SQL for SQLite: numbered parameters, times as the fixed-width text they are stored as (so
/// text order is time order), and <c>$regex</c> through a function that runs .NET's regex engine,
/// the same one the memory store uses.
/// </summary>
internal sealed class SqliteDialect : ISqlDialect
{
    public const string RegexFunction = "drover_regex";

    public List<(string Name, object Value)> Parameters { get; } = [];

    public bool UsesRegex { get; private set; }

    public string Parameter(object value, FieldKind kind)
    {
        var name = $"$p{Parameters.Count}";
        Parameters.Add((name, value is DateTimeOffset time ? SqliteValues.TimeText(time)! : value));
        return name;
    }

    public string Column(TaskField field) => field.Column;

    /// <summary>Makes <see cref="RegexFunction"/> available on a connection.</summary>
    public static void AddRegexFunction(SqliteConnection connection) =>
        connection.CreateFunction<string, string, long, bool>(RegexFunction,
            (pattern, value, ignoreCase) => FilterEvaluator.Regex(pattern, ignoreCase != 0).IsMatch(value), isDeterministic: true);

    public string Regex(string column, string pattern, bool ignoreCase)
    {
        UsesRegex = true;
        return $"{RegexFunction}({pattern}, {column}, {(ignoreCase ? 1 : 0)})";
    }
}
