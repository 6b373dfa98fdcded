using System.Diagnostics;
using System.Text.Json;
using Drover.Contracts;
using Drover.Model;

namespace Drover.Bench;

/// <summary>
/// <c>purge</c> (issue 22): a task database of <c>--records</c> synthetic tasks (the 20% queued are
/// run first by two workers), and one echo task's round trip measured before and while a purge of
/// every ended task runs through the API. The purge deletes in bounded batches, so dispatch must go on during it.
/// </summary>
internal static class PurgeScenario
{
    public static async Task<Result> RunAsync(string store, int records, string? postgres)
    {
        var data = Directory.CreateTempSubdirectory("drover-bench-purge-").FullName;
        var load = Stopwatch.StartNew();
        if (store == "sqlite") SyntheticTasks.LoadSqlite(Path.Combine(data, "drover.db"), records);
        else await SyntheticTasks.LoadPostgresAsync(postgres ?? throw new ArgumentException("--store postgres needs --postgres or DROVER_POSTGRES"), records);
        var loaded = load.Elapsed;
        await using var cluster = await LocalCluster.StartServerAsync(store, data, store == "postgres" ? ["--postgres", postgres!] : []);
        await cluster.StartWorkersAsync(2, 4, "auto");
        using var client = cluster.Client();
        // The synthetic queued tasks run first, so that the round trips measure the purge, not a backlog.
        var notEnded = JsonSerializer.SerializeToElement(new { completed = (string?)null });
        while (await client.CountTasksAsync(notEnded, CancellationToken.None) > 0) await Task.Delay(500);

        var before = await RoundTripsAsync(client, until: null, count: 100);
        var clock = Stopwatch.StartNew();
        var purge = client.PurgeAsync(JsonSerializer.SerializeToElement(new { status = new Dictionary<string, string[]> { ["$in"] = ["succeeded", "failed"] } }),
            CancellationToken.None);
        var during = await RoundTripsAsync(client, until: purge, count: int.MaxValue);
        var purged = await purge;
        var seconds = clock.Elapsed.TotalSeconds;

        return new Result($"purge ({store})")
            .Add("records", records)
            .Add("load_seconds", Math.Round(loaded.TotalSeconds, 1))
            .Add("purged", purged.Deleted)
            .Add("purge_seconds", Math.Round(seconds, 2))
            .Add("round_trip_before_p50_ms", Scenarios.Percentile(before, 0.50))
            .Add("round_trip_before_p99_ms", Scenarios.Percentile(before, 0.99))
            .Add("round_trips_during", during.Count)
            .Add("round_trip_during_p50_ms", during.Count > 0 ? Scenarios.Percentile(during, 0.50) : "none")
            .Add("round_trip_during_p99_ms", during.Count > 0 ? Scenarios.Percentile(during, 0.99) : "none")
            .Add("round_trip_during_max_ms", during.Count > 0 ? Math.Round(during[^1], 1) : "none");
    }

    /// <summary>One echo task at a time (ahead of the queued synthetic ones), submit and wait in one request, until <paramref name="until"/> ends.</summary>
    private static async Task<List<double>> RoundTripsAsync(Client.DroverClient client, Task? until, int count)
    {
        var samples = new List<double>();
        for (var i = 0; i < count && until?.IsCompleted != true; i++)
        {
            var clock = Stopwatch.StartNew();
            var ended = await client.RunAsync(new TaskSpec { Handler = "echo", Args = JsonSerializer.SerializeToElement(i), Priority = 1000 }, CancellationToken.None);
            if (ended.Status != TaskState.Succeeded) throw new InvalidOperationException($"task {ended.Id} ended {ended.Status}");
            samples.Add(clock.Elapsed.TotalMilliseconds);
        }
        samples.Sort();
        return samples;
    }
}
