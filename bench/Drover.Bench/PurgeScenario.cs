using System.Diagnostics;
using System.Text.Json;
using Drover.Contracts;
using Drover.Model;

namespace Drover.Bench;

/// <summary>
/// <c>purge</c> (issue 22): a task database of <c>--records</c> synthetic tasks, all ended, and one
/// echo task's round trip measured before and while the oldest <c>--purge</c> of them (all, by
/// default) are purged: through <c>POST /api/tasks/purge</c>, or with <c>--retention</c> by the
/// server's own <c>--keep-finished</c> (restarted with a retention that covers exactly them). Both
/// delete in bounded batches, so dispatch must go on during them.
/// </summary>
internal static class PurgeScenario
{
    public static async Task<Result> RunAsync(string store, int records, int? toPurge, bool retention, string? postgres)
    {
        var data = Directory.CreateTempSubdirectory("drover-bench-purge-").FullName;
        var load = Stopwatch.StartNew();
        if (store == "sqlite") SyntheticTasks.LoadSqlite(Path.Combine(data, "drover.db"), records, allEnded: true);
        else await SyntheticTasks.LoadPostgresAsync(postgres ?? throw new ArgumentException("--store postgres needs --postgres or DROVER_POSTGRES"), records, allEnded: true);
        var loaded = load.Elapsed;
        string[] storeArgs = store == "postgres" ? ["--postgres", postgres!] : [];
        // What goes: every task that ended before the --purge'th one's end (a few of the next ones too).
        var cutoff = SyntheticTasks.EndedBefore(Math.Min(toPurge ?? records, records));
        var old = JsonSerializer.SerializeToElement(new Dictionary<string, object> { ["completed"] = new Dictionary<string, string> { ["$lt"] = cutoff.ToString("O") } });
        var everything = JsonSerializer.SerializeToElement(new { });
        var (before, toGo, total) = await MeasureAsync(store, data, storeArgs, async client => (
            await RoundTripsAsync(client, until: null, count: 100),
            await client.CountTasksAsync(old, CancellationToken.None),
            await client.CountTasksAsync(everything, CancellationToken.None)));

        var clock = Stopwatch.StartNew();
        // The server's retention keeps what ended within --keep-finished of its own clock, which has
        // moved on by then: rounded down, it purges all that we count, and the few that ended in the
        // seconds after (what it purged is counted from what is left).
        var (deleted, during, seconds) = retention
            ? await MeasureAsync(store, data, [.. storeArgs, "--keep-finished", $"{Math.Floor((DateTimeOffset.UtcNow - cutoff).TotalSeconds)}s"],
                async client => ((long?)null, await RetentionAsync(client, old, toGo), clock.Elapsed.TotalSeconds))
            : await MeasureAsync(store, data, storeArgs, client => PurgeAsync(client, old));
        var left = await MeasureAsync(store, data, storeArgs, client => client.CountTasksAsync(everything, CancellationToken.None));
        var purged = deleted ?? total + during.Count - left;
        Directory.Delete(data, recursive: true);

        return new Result($"purge ({store}{(retention ? ", --keep-finished" : "")})")
            .Add("records", records)
            .Add("load_seconds", Math.Round(loaded.TotalSeconds, 1))
            .Add("asked", toGo)
            .Add("purged", purged)
            .Add(retention ? "purge_seconds_from_start" : "purge_seconds", Math.Round(seconds, 2))
            .Add("tasks_left", left)
            .Add("round_trip_before_p50_ms", Scenarios.Percentile(before, 0.50))
            .Add("round_trip_before_p99_ms", Scenarios.Percentile(before, 0.99))
            .Add("round_trips_during", during.Count)
            .Add("round_trip_during_p50_ms", during.Count > 0 ? Scenarios.Percentile(during, 0.50) : "none")
            .Add("round_trip_during_p99_ms", during.Count > 0 ? Scenarios.Percentile(during, 0.99) : "none")
            .Add("round_trip_during_max_ms", during.Count > 0 ? Math.Round(during[^1], 1) : "none");
    }

    /// <summary>A server on the data (started with <paramref name="serverArgs"/>) and two workers, for one measurement.</summary>
    private static async Task<T> MeasureAsync<T>(string store, string data, string[] serverArgs, Func<Client.DroverClient, Task<T>> measure)
    {
        await using var cluster = await LocalCluster.StartServerAsync(store, data, serverArgs);
        cluster.LeaveData();
        await cluster.StartWorkersAsync(2, 4, "auto");
        using var client = cluster.Client();
        return await measure(client);
    }

    /// <summary>A few round trips to warm the new server and workers up, then the purge.</summary>
    private static async Task<(long? Purged, List<double> During, double Seconds)> PurgeAsync(Client.DroverClient client, JsonElement old)
    {
        await RoundTripsAsync(client, until: null, count: 20);
        var clock = Stopwatch.StartNew();
        var purge = client.PurgeAsync(old, CancellationToken.None);
        var during = await RoundTripsAsync(client, until: purge, count: int.MaxValue);
        return ((await purge).Deleted, during, clock.Elapsed.TotalSeconds);
    }

    /// <summary>
    /// The server purges by itself from its start: round trips until what it must purge is gone
    /// (the time includes the server's and the workers' start).
    /// </summary>
    private static async Task<List<double>> RetentionAsync(Client.DroverClient client, JsonElement old, long first)
    {
        var gone = Task.Run(async () =>
        {
            var (left, progress) = (first, Stopwatch.StartNew());
            while (await client.CountTasksAsync(old, CancellationToken.None) is var now && now > 0)
            {
                if (now < left) (left, progress) = (now, Stopwatch.StartNew());
                else if (progress.Elapsed > TimeSpan.FromMinutes(1)) throw new InvalidOperationException($"--keep-finished purged nothing for a minute; {now} left");
                await Task.Delay(250);
            }
        });
        var during = await RoundTripsAsync(client, until: gone, count: int.MaxValue);
        await gone;
        return during;
    }

    /// <summary>One echo task at a time, submit and wait in one request, until <paramref name="until"/> ends.</summary>
    private static async Task<List<double>> RoundTripsAsync(Client.DroverClient client, Task? until, int count)
    {
        var samples = new List<double>();
        for (var i = 0; i < count && until?.IsCompleted != true; i++)
        {
            var clock = Stopwatch.StartNew();
            var ended = await client.RunAsync(new TaskSpec { Handler = "echo", Args = JsonSerializer.SerializeToElement(i) }, CancellationToken.None);
            if (ended.Status != TaskState.Succeeded) throw new InvalidOperationException($"task {ended.Id} ended {ended.Status}");
            samples.Add(clock.Elapsed.TotalMilliseconds);
        }
        samples.Sort();
        return samples;
    }
}
