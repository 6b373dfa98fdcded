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

    /// <summary>The values as one JSON array, read back with json_each: numbers stay numbers, times and ids are their stored text.</summary>
    public string InMany(string column, IReadOnlyList<object> values, FieldKind kind)
    {
        var json = System.Text.Json.JsonSerializer.Serialize(values.Select(v => v is DateTimeOffset time ? SqliteValues.TimeText(time)! : v).ToList());
        var name = $"$p{Parameters.Count}";
        Parameters.Add((name, json));
        return $"{column} IN (SELECT value FROM json_each({name}))";
    }

    public string Regex(string column, string pattern, bool ignoreCase)
    {
        UsesRegex = true;
        return $"{RegexFunction}({pattern}, {column}, {(ignoreCase ? 1 : 0)})";
    }
}
