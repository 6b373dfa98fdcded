using System.Globalization;
using System.Text;
using System.Text.Json;
using Drover.Contracts;
using DuckDB.NET.Data;
using ColumnInfo = Drover.Contracts.ColumnInfo;

namespace Drover.Datasets;

/// <summary>
/// Runs a <see cref="ShardQuery"/> over one Parquet file with DuckDB and returns each group's
/// partial states. Columns are checked against the file's own schema and quoted; every value is a
/// parameter: nothing from the query is spliced into SQL but names the file has.
/// </summary>
public static class ShardEngine
{
    /// <summary>The most distinct values of one column in one group that a distinct count keeps exactly.</summary>
    public const int MaxDistinct = 100_000;

    public static IReadOnlyList<ColumnInfo> Schema(DuckDBConnection connection, string path)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "DESCRIBE SELECT * FROM read_parquet($1)";
        command.Parameters.Add(new DuckDBParameter(path));
        using var reader = command.ExecuteReader();
        var columns = new List<ColumnInfo>();
        while (reader.Read()) columns.Add(new ColumnInfo(reader.GetString(0), reader.GetString(1)));
        return columns;
    }

    public static DuckDBConnection Open()
    {
        var connection = new DuckDBConnection("DataSource=:memory:");
        connection.Open();
        return connection;
    }

    public static ShardAnswer Run(string path, ShardQuery query, CancellationToken cancellationToken = default)
    {
        using var connection = Open();
        var schema = Schema(connection, path).ToDictionary(c => c.Name, StringComparer.Ordinal);
        ColumnInfo Column(string name) => schema.TryGetValue(name, out var c) ? c
            : throw new ArgumentException($"'{name}' is not a column of shard {query.Shard} (columns: {string.Join(", ", schema.Keys)})");

        var by = query.By.Select(Column).ToList();
        using var command = connection.CreateCommand();
        command.Parameters.Add(new DuckDBParameter(path));
        var select = new List<string>(by.Select(b => Quote(b.Name))) { "count(*)" };
        // Where each aggregate's state columns start in the row.
        var starts = new List<int>();
        foreach (var aggregate in query.Aggregates)
        {
            var column = Column(aggregate.Column);
            if (!Aggregations.ByName.TryGetValue(aggregate.Op, out var op)) throw new ArgumentException($"'{aggregate.Op}' is not an aggregation");
            var kind = ColumnKinds.Of(column.Type);
            if (op.Misfit(kind) is { } misfit) throw new ArgumentException($"{aggregate.Op} {misfit}; {column.Name} is {column.Type}");
            starts.Add(select.Count);
            select.AddRange(StateColumns(op, Quote(column.Name), column.Type, kind));
        }
        var sql = new StringBuilder("SELECT ").AppendJoin(", ", select).Append(" FROM read_parquet($1)");
        var conditions = query.Where.Select(w => Condition(w, Column(w.Column), command)).ToList();
        if (conditions.Count > 0) sql.Append(" WHERE ").AppendJoin(" AND ", conditions);
        if (by.Count > 0) sql.Append(" GROUP BY ").AppendJoin(", ", by.Select(b => Quote(b.Name)));
        command.CommandText = sql.ToString();

        var groups = new List<ShardGroup>();
        long scanned = 0;
        using (cancellationToken.Register(command.Cancel))
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                var key = by.Select((_, i) => JsonValues.From(reader.GetValue(i))).ToList();
                var rows = Convert.ToInt64(reader.GetValue(by.Count), CultureInfo.InvariantCulture);
                scanned += rows;
                var states = query.Aggregates.Select((a, i) => State(Aggregations.ByName[a.Op], reader, starts[i], a, query.Shard)).ToList();
                // No group-by and no row kept: the one row of an empty aggregate is no group at all.
                if (by.Count == 0 && rows == 0) continue;
                groups.Add(new ShardGroup(key, states));
            }
        }
        cancellationToken.ThrowIfCancellationRequested();
        return new ShardAnswer { Shard = query.Shard, Generation = query.Generation, RowsScanned = scanned, Groups = groups };
    }

    private static IEnumerable<string> StateColumns(AggregateOp op, string c, string type, ColumnKind kind)
    {
        var nan = type.ToUpperInvariant() is "FLOAT" or "DOUBLE" or "REAL" ? $" OR isnan({c})" : "";
        return op switch
        {
            AggregateOp.Sum or AggregateOp.Mean => [$"count({c})", kind == ColumnKind.Integer ? $"CAST(sum({c}) AS BIGINT)" : $"CAST(sum({c}) AS DOUBLE)"],
            _ when op.IsVariance() => [$"count({c})", $"CAST(avg({c}) AS DOUBLE)", $"CAST(var_pop({c}) * count({c}) AS DOUBLE)"],
            AggregateOp.Count => [$"count({c})"],
            AggregateOp.CountNa => [$"count({c})", $"count(*) FILTER (WHERE {c} IS NULL{nan})"],
            AggregateOp.CountDistinct => [$"count(DISTINCT {c})", $"list(DISTINCT {c}) FILTER (WHERE {c} IS NOT NULL)"],
            AggregateOp.Min => [$"count({c})", $"min({c})"],
            _ => [$"count({c})", $"max({c})"],
        };
    }

    private static PartialState State(AggregateOp op, System.Data.Common.DbDataReader reader, int at, ShardAggregate aggregate, string shard)
    {
        long Long(int i) => reader.IsDBNull(i) ? 0 : Convert.ToInt64(reader.GetValue(i), CultureInfo.InvariantCulture);
        double? Double(int i) => reader.IsDBNull(i) ? null : Convert.ToDouble(reader.GetValue(i), CultureInfo.InvariantCulture);
        var count = Long(at);
        switch (op)
        {
            case AggregateOp.Sum or AggregateOp.Mean:
                return new PartialState { Count = count, Sum = JsonValues.From(reader.GetValue(at + 1)) };
            case var variance when variance.IsVariance():
                return new PartialState { Count = count, Mean = Double(at + 1), M2 = Double(at + 2) };
            case AggregateOp.Count:
                return new PartialState { Count = count };
            case AggregateOp.CountNa:
                return new PartialState { Count = count, Na = Long(at + 1) };
            case AggregateOp.CountDistinct:
                if (count > MaxDistinct)
                    throw new InvalidOperationException($"{aggregate.Column} has {count} distinct values in one group of shard {shard}; " +
                        $"a distinct count is exact up to {MaxDistinct} values per group");
                var values = reader.IsDBNull(at + 1) ? [] : ((System.Collections.IEnumerable)reader.GetValue(at + 1)).Cast<object?>().Select(JsonValues.From).ToList();
                return new PartialState { Count = count, Distinct = values };
            case AggregateOp.Min:
                return new PartialState { Count = count, Min = JsonValues.From(reader.GetValue(at + 1)) };
            default:
                return new PartialState { Count = count, Max = JsonValues.From(reader.GetValue(at + 1)) };
        }
    }

    private static string Condition(WhereTerm term, ColumnInfo column, DuckDBCommand command)
    {
        var kind = ColumnKinds.Of(column.Type);
        string Parameter(JsonElement value)
        {
            if (GroupByPlanner.ValueProblem(value, kind) is { } problem) throw new ArgumentException($"where {column.Name}: {problem}");
            command.Parameters.Add(new DuckDBParameter(Value(value, kind)));
            return "$" + command.Parameters.Count.ToString(CultureInfo.InvariantCulture);
        }
        var c = Quote(column.Name);
        return term.Op switch
        {
            "==" => $"{c} = {Parameter(term.Value)}",
            "!=" => $"{c} <> {Parameter(term.Value)}",
            ">" or ">=" or "<" or "<=" => $"{c} {term.Op} {Parameter(term.Value)}",
            "in" or "nin" when term.Value.ValueKind == JsonValueKind.Array && term.Value.GetArrayLength() is > 0 and <= GroupByPlanner.MaxWhereValues =>
                $"{c} {(term.Op == "in" ? "IN" : "NOT IN")} ({string.Join(", ", term.Value.EnumerateArray().Select(Parameter))})",
            _ => throw new ArgumentException($"where {column.Name}: '{term.Op}' is not a where operator, or its value is not a list"),
        };
    }

    private static object Value(JsonElement value, ColumnKind kind) => kind switch
    {
        ColumnKind.Integer => value.GetInt64(),
        ColumnKind.Floating => value.GetDouble(),
        ColumnKind.Boolean => value.GetBoolean(),
        ColumnKind.Temporal => DateTime.Parse(value.GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal),
        _ => value.GetString()!,
    };

    /// <summary>An identifier as SQL: in double quotes, inner quotes doubled.</summary>
    public static string Quote(string name) => "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}
