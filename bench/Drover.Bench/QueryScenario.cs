using System.Diagnostics;
using System.Text.Json;

namespace Drover.Bench;

/// <summary>
/// <c>query</c>: a task database of <c>--records</c> synthetic tasks, then the typical queries through
/// the server's API, each timed <c>--count</c> times: p50 and p99 in milliseconds.
/// </summary>
internal static class QueryScenario
{
    public static async Task<Result> RunAsync(string store, int records, int count, string? postgres)
    {
        var data = Directory.CreateTempSubdirectory("drover-bench-query-").FullName;
        var load = Stopwatch.StartNew();
        if (store == "sqlite") SyntheticTasks.LoadSqlite(Path.Combine(data, "drover.db"), records);
        else await SyntheticTasks.LoadPostgresAsync(postgres ?? throw new ArgumentException("--store postgres needs --postgres or DROVER_POSTGRES"), records);
        var loaded = load.Elapsed;

        var start = Stopwatch.StartNew();
        await using var cluster = await LocalCluster.StartServerAsync(store, data, store == "postgres" ? ["--postgres", postgres!] : []);
        var started = start.Elapsed;
        using var client = cluster.Client();

        // A thirtieth of the submission span (a day, at a million tasks), a third of the way in.
        var span = SyntheticTasks.Span(records);
        var from = (SyntheticTasks.Start + span / 3).ToString("O");
        var to = (SyntheticTasks.Start + span / 3 + span / 30).ToString("O");
        var queries = new (string Name, string Body)[]
        {
            ("status", """{"filter": {"status": "failed"}, "limit": 100}"""),
            ("status_batch", """{"filter": {"status": "failed", "batch": "batch-7"}, "limit": 100}"""),
            ("completed_range_sorted", $$$"""{"filter": {"completed": {"$gte": "{{{from}}}", "$lt": "{{{to}}}"}}, "sort": ["-completed"], "limit": 100}"""),
            ("name_regex", """{"filter": {"name": {"$regex": "^job-004"}}, "limit": 100}"""),
            ("count_status", """{"filter": {"status": "succeeded"}, "count": true}"""),
        };
        var result = new Result($"query ({store})")
            .Add("records", records)
            .Add("load_seconds", Math.Round(loaded.TotalSeconds, 1))
            .Add("server_start_seconds", Math.Round(started.TotalSeconds, 1));
        // The server just started: its query path runs as quickly-compiled code until the JIT has
        // optimized it, which takes a few hundred calls and a pause. Warm it up on the indexed queries
        // for a few seconds (measured: p50 3.2 ms in the first hundred, 1.1–2 ms after), checking
        // that each finds something.
        var warmup = Stopwatch.StartNew();
        while (warmup.Elapsed < TimeSpan.FromSeconds(3))
        {
            foreach (var (name, body) in queries.Where(q => q.Name != "count_status"))
            {
                var answer = await client.QueryAsync(JsonDocument.Parse(body).RootElement, CancellationToken.None);
                if (answer.ValueKind == JsonValueKind.Array && answer.GetArrayLength() == 0)
                    throw new InvalidOperationException($"query {name} found nothing; the synthetic data and the query disagree");
            }
        }
        foreach (var (name, body) in queries)
        {
            var request = JsonDocument.Parse(body).RootElement;
            var samples = new List<double>(count);
            for (var i = -5; i < count; i++)
            {
                var clock = Stopwatch.StartNew();
                await client.QueryAsync(request, CancellationToken.None);
                if (i >= 0) samples.Add(clock.Elapsed.TotalMilliseconds);
            }
            samples.Sort();
            result.Add($"{name}_p50_ms", Percentile(samples, 0.50)).Add($"{name}_p99_ms", Percentile(samples, 0.99));
        }
        return result;
    }

    private static double Percentile(List<double> sorted, double p) =>
        Math.Round(sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)], 2);
}
