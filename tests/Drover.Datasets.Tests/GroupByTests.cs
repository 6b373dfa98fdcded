using System.Globalization;
using System.Text.Json;
using Drover.Contracts;
using Drover.Validation;
using DuckDB.NET.Data;
using ColumnInfo = Drover.Contracts.ColumnInfo;

namespace Drover.Datasets.Tests;

/// <summary>
/// Shards of very different sizes written as real Parquet files; each answered by the shard engine
/// and merged, and the result checked against one independent DuckDB query over all the files at
/// once (what a single-node engine says), value by value.
/// </summary>
public sealed class GroupByTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("drover-groupby-").FullName;
    private readonly List<string> _files = [];

    public GroupByTests()
    {
        // 7, 1,000 and 40,000 rows: a mean of shard means would be far off (bqueryd's fault).
        // Vendors overlap across shards (a distinct count must count each once); tips have NULLs and NaNs.
        foreach (var (rows, seed) in new[] { (7, 1), (1_000, 2), (40_000, 3) })
        {
            var path = Path.Combine(_directory, $"part-{_files.Count}.parquet");
            using var connection = ShardEngine.Open();
            using var command = connection.CreateCommand();
            command.CommandText = $"""
                COPY (SELECT
                    CAST(i * {seed} % 4 AS BIGINT) AS payment_type,
                    CAST((i * 7 + {seed}) % 6 AS INTEGER) AS passenger_count,
                    ((i * 37 + {seed} * 11) % 1000) / 7.0 + {seed} * 100.0 AS fare_amount,
                    CASE WHEN i % 13 = 0 THEN NULL WHEN i % 17 = 0 THEN 'NaN'::DOUBLE ELSE ((i * 53) % 300) / 10.0 END AS tip_amount,
                    'v' || CAST((i + {seed}) % 5 + {seed} AS VARCHAR) AS vendor
                  FROM range({rows}) t(i))
                TO '{path}' (FORMAT parquet)
                """;
            command.ExecuteNonQuery();
            _files.Add(path);
        }
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private DatasetRecord Dataset()
    {
        using var connection = ShardEngine.Open();
        var schema = ShardEngine.Schema(connection, _files[0]);
        return new DatasetRecord
        {
            Name = "trips",
            Generation = 1,
            Rows = 41_007,
            Bytes = 0,
            Schema = schema,
            Shards = [.. _files.Select((f, i) => new DatasetShard
            {
                Shard = $"part-{i}", Generation = 1, Rows = 0, Bytes = 0, Checksum = "", Workers = [],
            })],
        };
    }

    private static GroupByRequest Request(string json) => JsonSerializer.Deserialize<GroupByRequest>(json, Json.DroverJson.Strict)!;

    private GroupByResult Run(string json)
    {
        var errors = new FieldErrors();
        var plan = GroupByPlanner.Plan(Request(json), Dataset(), errors);
        Assert.True(errors.IsEmpty, errors.ToString());
        var answers = plan!.Shards.Select(s => ShardEngine.Run(_files[int.Parse(s.Shard[5..], CultureInfo.InvariantCulture)], plan.QueryFor(s), TestContext.Current.CancellationToken)).ToList();
        // Through JSON, as a worker's answer travels.
        answers = [.. answers.Select(a => JsonSerializer.Deserialize<ShardAnswer>(JsonSerializer.Serialize(a, Json.DroverJson.Options), Json.DroverJson.Options)!)];
        return Merger.Answer(plan, answers, []);
    }

    /// <summary>The same figures from one DuckDB query over every file: the independent answer.</summary>
    private List<object?[]> Reference(string select, string where = "", string groupBy = "payment_type")
    {
        using var connection = ShardEngine.Open();
        using var command = connection.CreateCommand();
        var files = string.Join(", ", _files.Select(f => $"'{f}'"));
        command.CommandText = $"SELECT {select} FROM read_parquet([{files}]) {where} {(groupBy.Length > 0 ? $"GROUP BY {groupBy} ORDER BY {groupBy}" : "")}";
        using var reader = command.ExecuteReader();
        var rows = new List<object?[]>();
        while (reader.Read())
        {
            var row = new object?[reader.FieldCount];
            for (var i = 0; i < row.Length; i++) row[i] = reader.IsDBNull(i) ? null : reader.GetValue(i);
            rows.Add(row);
        }
        return rows;
    }

    private static JsonElement Cell(GroupByResult result, int row, int column) => (JsonElement)result.Rows[row][column]!;

    private static void Near(object? expected, JsonElement actual)
    {
        var e = Convert.ToDouble(expected, CultureInfo.InvariantCulture);
        var a = actual.GetDouble();
        Assert.True(Math.Abs(e - a) <= 1e-9 * Math.Max(1, Math.Abs(e)), $"expected {e:R}, got {a:R}");
    }

    [Fact]
    public void Sums_means_variances_counts_and_extremes_merge_exactly()
    {
        var result = Run("""
            {"by": ["payment_type"], "aggregate": [["fare_amount", "sum", "total"], ["fare_amount", "mean", "avg"],
             ["fare_amount", "std", "sd"], ["fare_amount", "var_pop", "vp"], ["passenger_count", "sum", "people"],
             ["passenger_count", "mean", "people_avg"], ["fare_amount", "count", "n"], ["fare_amount", "min", "low"], ["vendor", "max", "last_vendor"],
             ["passenger_count", "std_pop", "people_sd"]]}
            """);
        var reference = Reference("payment_type, sum(fare_amount), avg(fare_amount), stddev_samp(fare_amount), var_pop(fare_amount), " +
            "CAST(sum(passenger_count) AS BIGINT), avg(passenger_count), count(fare_amount), min(fare_amount), max(vendor), stddev_pop(passenger_count)");
        Assert.Equal(["payment_type", "total", "avg", "sd", "vp", "people", "people_avg", "n", "low", "last_vendor", "people_sd"], result.Columns.Select(c => c.Name));
        Assert.Equal(reference.Count, result.Rows.Count);
        for (var r = 0; r < reference.Count; r++)
        {
            Assert.Equal(Convert.ToInt64(reference[r][0], CultureInfo.InvariantCulture), Cell(result, r, 0).GetInt64());
            Near(reference[r][1], Cell(result, r, 1));
            Near(reference[r][2], Cell(result, r, 2));
            Near(reference[r][3], Cell(result, r, 3));
            Near(reference[r][4], Cell(result, r, 4));
            Assert.Equal(Convert.ToInt64(reference[r][5], CultureInfo.InvariantCulture), Cell(result, r, 5).GetInt64()); // integer sum: exact
            Near(reference[r][6], Cell(result, r, 6));
            Assert.Equal(Convert.ToInt64(reference[r][7], CultureInfo.InvariantCulture), Cell(result, r, 7).GetInt64());
            Assert.Equal(Convert.ToDouble(reference[r][8], CultureInfo.InvariantCulture), Cell(result, r, 8).GetDouble()); // min: exact
            Assert.Equal((string)reference[r][9]!, Cell(result, r, 9).GetString());
            Near(reference[r][10], Cell(result, r, 10));
        }
    }

    [Fact]
    public void A_value_on_several_shards_is_counted_once_and_missing_values_are_counted()
    {
        var result = Run("""{"by": ["payment_type"], "aggregate": [["vendor", "count_distinct", "vendors"], ["tip_amount", "count_na", "no_tip"]]}""");
        var reference = Reference("payment_type, count(DISTINCT vendor), count(*) FILTER (WHERE tip_amount IS NULL OR isnan(tip_amount))");
        for (var r = 0; r < reference.Count; r++)
        {
            Assert.Equal(Convert.ToInt64(reference[r][1], CultureInfo.InvariantCulture), Cell(result, r, 1).GetInt64());
            Assert.Equal(Convert.ToInt64(reference[r][2], CultureInfo.InvariantCulture), Cell(result, r, 2).GetInt64());
        }
        // The union is what counts: more than any one shard has, fewer than their sum.
        var perShard = Run("""{"by": ["payment_type"], "aggregate": [["vendor", "count_distinct", "vendors"]], "merge": false}""");
        Assert.Equal("shard", perShard.Columns[0].Name);
        var summed = perShard.Rows.Where(r => ((JsonElement)r[1]!).GetInt64() == 0).Sum(r => ((JsonElement)r[2]!).GetInt64());
        Assert.True(summed > Cell(result, 0, 1).GetInt64(), $"{summed} per shard vs {Cell(result, 0, 1)} merged");
    }

    [Fact]
    public void Where_terms_and_no_group_by_give_one_row_of_the_kept_rows()
    {
        var result = Run("""
            {"aggregate": [["fare_amount", "mean", "avg"], ["fare_amount", "count", "n"]],
             "where": [["passenger_count", ">", 1], ["vendor", "nin", ["v2", "v3"]], ["payment_type", "in", [0, 1, 3]]]}
            """);
        var reference = Reference("avg(fare_amount), count(fare_amount)", "WHERE passenger_count > 1 AND vendor NOT IN ('v2', 'v3') AND payment_type IN (0, 1, 3)", groupBy: "");
        Assert.Single(result.Rows);
        Near(reference[0][0], Cell(result, 0, 0));
        Assert.Equal(Convert.ToInt64(reference[0][1], CultureInfo.InvariantCulture), Cell(result, 0, 1).GetInt64());
        var none = Run("""{"aggregate": [["fare_amount", "sum"]], "where": [["vendor", "==", "nobody"]]}""");
        Assert.Empty(none.Rows);
    }

    [Theory]
    [InlineData("""{"aggregate": [["nope", "sum"]]}""", "aggregate[0]", "not a column")]
    [InlineData("""{"aggregate": [["vendor", "sum"]]}""", "aggregate[0]", "numeric columns only")]
    [InlineData("""{"aggregate": [["fare_amount", "median"]]}""", "aggregate[0]", "not an aggregation")]
    [InlineData("""{"aggregate": [["fare_amount", "sum"], ["fare_amount", "mean"]]}""", "aggregate[1]", "two columns named")]
    [InlineData("""{"aggregate": [["fare_amount"]]}""", "aggregate[0]", "[column, op]")]
    [InlineData("""{"aggregate": []}""", "aggregate", "at least one")]
    [InlineData("""{"by": ["nope"], "aggregate": [["fare_amount", "sum"]]}""", "by[0]", "not a column")]
    [InlineData("""{"aggregate": [["fare_amount", "sum"]], "where": [["fare_amount", "~", 1]]}""", "where[0]", "not a where operator")]
    [InlineData("""{"aggregate": [["fare_amount", "sum"]], "where": [["vendor", ">", 3]]}""", "where[0]", "must be a string")]
    [InlineData("""{"aggregate": [["fare_amount", "sum"]], "where": [["payment_type", "in", []]]}""", "where[0]", "non-empty array")]
    [InlineData("""{"aggregate": [["fare_amount", "sum"]], "where": [["payment_type", "==", 1.5]]}""", "where[0]", "whole number")]
    [InlineData("""{"aggregate": [["fare_amount", "sum"]], "where": ["payment_type > 1"]}""", "where[0]", "[column, op, value]")]
    [InlineData("""{"aggregate": [["fare_amount", "sum"]], "shards": ["part-9"]}""", "shards[0]", "not a shard")]
    public void A_bad_group_by_is_refused_naming_the_field_before_anything_runs(string json, string field, string message)
    {
        var errors = new FieldErrors();
        Assert.Null(GroupByPlanner.Plan(Request(json), Dataset(), errors));
        var found = errors.ToDictionary();
        Assert.True(found.TryGetValue(field, out var messages), errors.ToString());
        Assert.Contains(messages, m => m.Contains(message, StringComparison.Ordinal));
    }

    [Fact]
    public void The_engine_checks_a_query_against_the_file_itself_and_quotes_names()
    {
        var query = new ShardQuery
        {
            Dataset = "trips", Shard = "part-0", Generation = 1, By = [],
            Aggregates = [new ShardAggregate("fare_amount\" ; DROP TABLE x; --", "sum")], Where = [],
        };
        var refused = Assert.Throws<ArgumentException>(() => ShardEngine.Run(_files[0], query, TestContext.Current.CancellationToken));
        Assert.Contains("is not a column", refused.Message);
        Assert.Equal("\"a\"\"b\"", ShardEngine.Quote("a\"b"));
    }

    [Fact]
    public void Schema_reads_the_files_columns_and_types()
    {
        using DuckDBConnection connection = ShardEngine.Open();
        var schema = ShardEngine.Schema(connection, _files[1]);
        Assert.Equal([new ColumnInfo("payment_type", "BIGINT"), new ColumnInfo("passenger_count", "INTEGER")], schema.Take(2));
        Assert.Equal(ColumnKind.Floating, ColumnKinds.Of(schema.Single(c => c.Name == "fare_amount").Type));
        Assert.Equal(ColumnKind.Text, ColumnKinds.Of(schema.Single(c => c.Name == "vendor").Type));
    }
}
