using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Drover.Client;
using Drover.Datasets;
using DuckDB.NET.Data;

namespace Drover.Bench;

/// <summary>
/// <c>groupby</c>: synthetic taxi-like trips (payment_type, passenger_count, fare_amount, tip_amount,
/// trip_distance, pickup) split into shards over worker processes, one group-by asked of Drover, and
/// in the same run the same group-by as one DuckDB query over the same data in one file (the engine
/// alone: the floor) and as pandas <c>groupby</c> on the same data in memory. The answers are compared:
/// counts, minima and maxima exactly, sums, means and standard deviations by their relative difference.
/// </summary>
internal static class GroupByScenario
{
    private static readonly string[] Aggregates = ["fare_sum", "rides", "fare_min", "fare_max", "tip_mean", "tip_std", "distance_mean"];

    public static async Task<Result> RunAsync(long rows, int shards, int workers, int concurrency, int repeat)
    {
        if (rows < 1 || shards < 1 || workers < 1 || repeat < 1) throw new ArgumentException("--rows, --shards, --workers and --count must be at least 1");
        var root = Directory.CreateTempSubdirectory("drover-bench-groupby-").FullName;
        try
        {
            var setup = Stopwatch.StartNew();
            var all = Path.Combine(root, "all.parquet");
            using (var duck = Open())
            {
                Execute(duck, $"COPY ({Synthetic(rows)}) TO '{all}' (FORMAT parquet)");
            }
            ShardImporter.Import(all, "trips", shards, Path.Combine(root, "split"), "2GB");
            var parts = Directory.GetFiles(Path.Combine(root, "split", "trips"), "*.parquet").Order(StringComparer.Ordinal).ToList();
            for (var i = 0; i < parts.Count; i++)
            {
                var target = Path.Combine(root, $"worker-{i % workers}", "trips");
                Directory.CreateDirectory(target);
                File.Move(parts[i], Path.Combine(target, Path.GetFileName(parts[i])));
            }
            var generated = setup.Elapsed;

            await using var cluster = await LocalCluster.StartAsync("memory", workers, concurrency, prefetch: "0",
                workerArgs: i => ["--data-dir", Path.Combine(root, $"worker-{i}")]);
            using var client = cluster.Client();
            await WaitForShardsAsync(client, parts.Count);

            var query = new GroupBy
            {
                By = ["payment_type"],
                Aggregate =
                [
                    new("fare_amount", "sum", "fare_sum"), new("fare_amount", "count", "rides"), new("fare_amount", "min", "fare_min"),
                    new("fare_amount", "max", "fare_max"), new("tip_amount", "mean", "tip_mean"), new("tip_amount", "std", "tip_std"),
                    new("trip_distance", "mean", "distance_mean"),
                ],
            };
            var droverAnswer = new Dictionary<string, double[]>();
            var droverMs = await MedianAsync(repeat, async () =>
            {
                var answer = await client.GroupByAsync("trips", query);
                droverAnswer = answer.Rows.ToDictionary(r => Text(r[0]), r => r.Skip(1).Select(Number).ToArray());
            });

            var duckAnswer = new Dictionary<string, double[]>();
            double duckMs;
            using (var duck = Open())
            {
                var sql = $"""
                    SELECT payment_type, sum(fare_amount), count(fare_amount), min(fare_amount), max(fare_amount),
                           avg(tip_amount), stddev_samp(tip_amount), avg(trip_distance)
                    FROM read_parquet('{all}') GROUP BY payment_type
                    """;
                duckMs = await MedianAsync(repeat, () =>
                {
                    duckAnswer = Read(duck, sql);
                    return Task.CompletedTask;
                });
            }

            var csv = Path.Combine(root, "all.csv");
            using (var duck = Open())
            {
                Execute(duck, $"COPY (SELECT payment_type, fare_amount, tip_amount, trip_distance FROM read_parquet('{all}')) TO '{csv}' (HEADER)");
            }
            var (pandasMs, pandasAnswer) = await PandasAsync(csv, repeat);

            var result = new Result("groupby")
                .Add("rows", rows).Add("shards", parts.Count).Add("workers", workers).Add("concurrency", concurrency)
                .Add("setup_seconds", Math.Round(generated.TotalSeconds, 1))
                .Add("drover_ms", Math.Round(droverMs, 1))
                .Add("duckdb_one_query_ms", Math.Round(duckMs, 1))
                .Add("drover_over_duckdb", Math.Round(droverMs / duckMs, 2));
            if (pandasAnswer is not null)
            {
                result.Add("pandas_ms", Math.Round(pandasMs, 1)).Add("pandas_over_drover", Math.Round(pandasMs / droverMs, 2));
            }
            else
            {
                result.Add("pandas_ms", "not installed (apt install python3-pandas)");
            }
            Compare(result, "drover", droverAnswer, duckAnswer);
            if (pandasAnswer is not null) Compare(result, "pandas", pandasAnswer, duckAnswer);
            return result;
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    /// <summary>Deterministic rows (a hash of the row number), so every run and every engine sees the same data.</summary>
    private static string Synthetic(long rows) => $"""
        SELECT (['card', 'cash', 'dispute', 'no_charge', 'unknown'])[1 + (hash(i) % 5)::INTEGER] AS payment_type,
               1 + (hash(i * 7 + 1) % 6)::BIGINT AS passenger_count,
               round(3 + (hash(i * 13 + 2) % 7700)::DOUBLE / 100, 2) AS fare_amount,
               round((hash(i * 17 + 3) % 1500)::DOUBLE / 100, 2) AS tip_amount,
               round((hash(i * 19 + 4) % 3000)::DOUBLE / 100, 2) AS trip_distance,
               TIMESTAMP '2026-01-01' + to_seconds((hash(i * 23 + 5) % 31536000)::BIGINT) AS pickup
        FROM range({rows}) t(i)
        """;

    /// <summary>Counts, minima and maxima must be equal; sums, means and deviations are compared relatively.</summary>
    private static void Compare(Result result, string name, Dictionary<string, double[]> answer, Dictionary<string, double[]> truth)
    {
        var exact = answer.Count == truth.Count;
        var worst = 0.0;
        foreach (var (key, expected) in truth)
        {
            if (!answer.TryGetValue(key, out var got))
            {
                exact = false;
                continue;
            }
            for (var i = 0; i < Aggregates.Length; i++)
            {
                if (Aggregates[i] is "rides" or "fare_min" or "fare_max") exact &= got[i] == expected[i];
                else worst = Math.Max(worst, Math.Abs(got[i] - expected[i]) / Math.Max(Math.Abs(expected[i]), double.Epsilon));
            }
        }
        result.Add($"{name}_count_min_max_exact", exact).Add($"{name}_max_relative_difference", worst.ToString("0.0e0", CultureInfo.InvariantCulture));
    }

    private static async Task<(double Ms, Dictionary<string, double[]>? Answer)> PandasAsync(string csv, int repeat)
    {
        const string script = """
            import json, sys, time
            import pandas as pd
            frame = pd.read_csv(sys.argv[1])
            times = []
            for _ in range(int(sys.argv[2]) + 1):
                start = time.perf_counter()
                g = frame.groupby("payment_type")
                out = pd.DataFrame({"fare_sum": g.fare_amount.sum(), "rides": g.fare_amount.count(), "fare_min": g.fare_amount.min(),
                                    "fare_max": g.fare_amount.max(), "tip_mean": g.tip_amount.mean(), "tip_std": g.tip_amount.std(),
                                    "distance_mean": g.trip_distance.mean()})
                times.append((time.perf_counter() - start) * 1000)
            times = sorted(times[1:])
            print(json.dumps({"ms": times[len(times) // 2], "rows": {k: [float(v) for v in row] for k, row in zip(out.index, out.values)}}))
            """;
        // The python3 on PATH may be a private one (pyenv) without pandas; Debian's has it once installed.
        foreach (var python in new[] { "python3", "/usr/bin/python3" })
        {
            var start = new ProcessStartInfo(python) { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var arg in new[] { "-c", script, csv, repeat.ToString(CultureInfo.InvariantCulture) }) start.ArgumentList.Add(arg);
            Process process;
            try
            {
                process = Process.Start(start)!;
            }
            catch (System.ComponentModel.Win32Exception)
            {
                continue;
            }
            using (process)
            {
                var output = process.StandardOutput.ReadToEndAsync();
                var errors = process.StandardError.ReadToEndAsync();
                await process.WaitForExitAsync();
                if (process.ExitCode != 0)
                {
                    if ((await errors).Contains("No module named 'pandas'", StringComparison.Ordinal)) continue;
                    throw new InvalidOperationException("pandas failed: " + await errors);
                }
                var answer = JsonDocument.Parse(await output).RootElement;
                return (answer.GetProperty("ms").GetDouble(),
                    answer.GetProperty("rows").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.EnumerateArray().Select(v => v.GetDouble()).ToArray()));
            }
        }
        return (0, null);
    }

    /// <summary>The median time of <paramref name="repeat"/> runs, after one that warms up (JIT, file cache).</summary>
    private static async Task<double> MedianAsync(int repeat, Func<Task> run)
    {
        await run();
        var times = new List<double>();
        for (var i = 0; i < repeat; i++)
        {
            var clock = Stopwatch.StartNew();
            await run();
            times.Add(clock.Elapsed.TotalMilliseconds);
        }
        times.Sort();
        return times[times.Count / 2];
    }

    private static async Task WaitForShardsAsync(DroverClient client, int shards)
    {
        for (var attempt = 0; attempt < 600; attempt++)
        {
            var trips = (await client.ListDatasetsAsync(CancellationToken.None)).FirstOrDefault(d => d.Name == "trips");
            if (trips?.Shards.Count == shards) return;
            await Task.Delay(100);
        }
        throw new TimeoutException($"the workers did not announce {shards} shards within 60 s");
    }

    private static DuckDBConnection Open()
    {
        var connection = new DuckDBConnection("DataSource=:memory:");
        connection.Open();
        return connection;
    }

    private static void Execute(DuckDBConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static Dictionary<string, double[]> Read(DuckDBConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        var rows = new Dictionary<string, double[]>();
        while (reader.Read())
            rows[reader.GetString(0)] = [.. Enumerable.Range(1, reader.FieldCount - 1).Select(i => Convert.ToDouble(reader.GetValue(i), CultureInfo.InvariantCulture))];
        return rows;
    }

    private static string Text(object? cell) => cell is JsonElement e ? e.ToString() : cell?.ToString() ?? "";

    private static double Number(object? cell) => cell is JsonElement e ? e.GetDouble() : Convert.ToDouble(cell, CultureInfo.InvariantCulture);
}
