using System.Diagnostics;
using System.Text.Json;
using Drover.Contracts;
using Drover.Model;

namespace Drover.Bench;

/// <summary>The scenarios: each measures, prints, and judges nothing.</summary>
internal static class Scenarios
{
    /// <summary>Warm-up rounds of <see cref="ThroughputAsync"/> at most, and the compilation a round may have left to count as settled.</summary>
    private const int MaxWarmUpRounds = 8;
    private const double SettledJitSeconds = 0.1;

    public static async Task<Result> ThroughputAsync(LocalCluster cluster, int tasks, int batchSize, int submitters, string kind, int parallel,
        int subscribers = 0, string follow = "group")
    {
        using var client = cluster.Client();
        await using var followers = subscribers > 0 ? await EventSubscribers.ConnectAsync(cluster, client, subscribers, follow == "all") : null;
        // With "idle", the followers' groups get no work: what 1,000 connections cost by themselves.
        var groups = follow == "group" ? subscribers : 0;
        // Unmeasured rounds first bring every process to its steady state (JIT, connections, caches).
        // The JIT optimizes a method after 30 calls, so a round is at least 40 requests (2,000 tasks in
        // two requests left the per-request code of all three processes to be compiled while measured):
        // 20,000 echo tasks (500 per request); shell tasks 2,000, their cost being the processes. One
        // round was not enough: the tiering (tier 0, instrumented, optimized) of the server and the
        // client went on for two more, and a measured round after one counted 0.5-1.7 s of compilation
        // in the server and 0.8-1.6 s in the client (6-11 µs a task each; the workers' CPU was twice
        // their steady state too). So rounds repeat until one compiles for less than 0.1 s in the server
        // and in the client (JIT time from the server's /metrics and this process), at most
        // MaxWarmUpRounds; the measured round reports the compilation still in it. Small runs (the tests')
        // and shell tasks, whose CPU per task is not the point, warm up with one round.
        // Submit requests go to every server in turn (--servers N).
        var submitClients = Enumerable.Range(0, cluster.Urls.Count).Select(cluster.Client).ToList();
        var warmUpTasks = Math.Min(tasks, kind == "shell" ? 2000 : 20000);
        var warmUpRounds = 0;
        var maxRounds = kind == "shell" || warmUpTasks < 20000 ? 1 : MaxWarmUpRounds;
        while (warmUpRounds < maxRounds)
        {
            warmUpRounds++;
            var serverJit = await cluster.ServerJitSecondsAsync();
            var clientJit = System.Runtime.JitInfo.GetCompilationTime();
            var warmUp = await SubmitAllAsync(submitClients, Specs(warmUpTasks, kind, groups), Math.Clamp(warmUpTasks / 40, 1, batchSize), submitters);
            await client.WaitAllAsync(warmUp, CancellationToken.None);
            // Background compilations started by the round finish before it is judged.
            await Task.Delay(TimeSpan.FromSeconds(1));
            var serverCompiled = await cluster.ServerJitSecondsAsync() - serverJit ?? 0;
            var clientCompiled = (System.Runtime.JitInfo.GetCompilationTime() - clientJit).TotalSeconds;
            if (serverCompiled < SettledJitSeconds && clientCompiled < SettledJitSeconds) break;
        }
        var specs = Specs(tasks, kind, groups);
        if (cluster.Database is { } database) await database.StartAsync();
        var cpuBefore = cluster.CpuSeconds();
        var clientCpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var clientAllocatedBefore = GC.GetTotalAllocatedBytes();
        var serverAllocatedBefore = await cluster.ServerAllocatedBytesAsync();
        // Compilation still going on in the measured round (tiering) is counted in its CPU, and told apart.
        var serverJitBefore = await cluster.ServerJitSecondsAsync();
        var clientJitBefore = System.Runtime.JitInfo.GetCompilationTime();

        var clock = Stopwatch.StartNew();
        var ids = await SubmitAllAsync(submitClients, specs, batchSize, submitters);
        var submitted = clock.Elapsed;
        var ended = await client.WaitAllAsync(ids, CancellationToken.None);
        var elapsed = clock.Elapsed;

        var failed = ended.Count(t => t.Status != TaskState.Succeeded);
        var result = new Result($"throughput ({kind})")
            .Add("tasks", tasks)
            .Add("submitters", submitters)
            .Add("failed", failed)
            .Add("warm_up_rounds", warmUpRounds)
            .Add("submit_seconds", Math.Round(submitted.TotalSeconds, 3))
            .Add("seconds", Math.Round(elapsed.TotalSeconds, 3))
            .Add("tasks_per_second", Math.Round(tasks / elapsed.TotalSeconds));
        if (followers is not null)
        {
            var delays = followers.Delays();
            result.Add("subscribers", subscribers)
                .Add("subscribers_follow", follow)
                .Add("event_messages", followers.Messages)
                .Add("event_resyncs_timed", followers.Resyncs)
                .Add("event_delay_p50_ms", delays.Count > 0 ? Percentile(delays, 0.50) : "none")
                .Add("event_delay_p99_ms", delays.Count > 0 ? Percentile(delays, 0.99) : "none");
        }
        if (cluster.ServerPeakRssMiB() is { } rss) result.Add("server_peak_rss_mib", Math.Round(rss, 1));
        if (serverAllocatedBefore is { } allocatedBefore && await cluster.ServerAllocatedBytesAsync() is { } allocatedAfter)
            result.Add("server_allocated_mb", Math.Round((allocatedAfter - allocatedBefore) / 1e6));
        if (cluster.CpuSeconds() is { } cpu && cpuBefore is { } before)
        {
            result.Add("server_cpu_seconds", Math.Round(cpu.Server - before.Server, 2))
                .Add("workers_cpu_seconds", Math.Round(cpu.Workers - before.Workers, 2));
        }
        if (serverJitBefore is { } jitBefore && await cluster.ServerJitSecondsAsync() is { } jitAfter)
            result.Add("server_jit_seconds", Math.Round(jitAfter - jitBefore, 2));
        result.Add("client_jit_seconds", Math.Round((System.Runtime.JitInfo.GetCompilationTime() - clientJitBefore).TotalSeconds, 2));
        result.Add("client_cpu_seconds", Math.Round((Process.GetCurrentProcess().TotalProcessorTime - clientCpuBefore).TotalSeconds, 2))
            .Add("client_allocated_mb", Math.Round((GC.GetTotalAllocatedBytes() - clientAllocatedBefore) / 1e6));
        submitClients.ForEach(c => c.Dispose());
        if (cluster.Database is { } db) await db.AddToAsync(result, tasks);
        if (kind == "shell")
        {
            var baseline = SpawnRate(Math.Min(tasks, 2000), parallel);
            result.Add("spawn_baseline_per_second", Math.Round(baseline))
                .Add("ratio_to_baseline", Math.Round(tasks / elapsed.TotalSeconds / baseline, 3));
        }
        return result;
    }

    /// <param name="groups">When followers follow their own groups: the tasks are spread over that many groups.</param>
    private static List<TaskSpec> Specs(int count, string kind, int groups = 0)
    {
        var batch = $"bench-{Guid.NewGuid():N}";
        return Enumerable.Range(0, count).Select(i => (kind == "shell"
            ? new TaskSpec { Command = JsonSerializer.SerializeToElement(new[] { "true" }), Batch = batch }
            : new TaskSpec { Handler = "echo", Args = JsonSerializer.SerializeToElement(i), Batch = batch })
            with { Group = groups > 0 ? EventSubscribers.Group(i, groups) : null }).ToList();
    }

    /// <summary>
    /// Submits in batches, <paramref name="submitters"/> requests in flight, as a busy client would:
    /// through <c>SubmitAsync</c>, whose answers are the ids alone (the records come with the wait).
    /// Chunk i goes to clients[i mod N].
    /// </summary>
    internal static async Task<List<Guid>> SubmitAllAsync(IReadOnlyList<Client.DroverClient> clients, List<TaskSpec> specs, int batchSize, int submitters)
    {
        var chunks = specs.Chunk(batchSize).ToList();
        var ids = new Guid[chunks.Count][];
        await Parallel.ForEachAsync(Enumerable.Range(0, chunks.Count), new ParallelOptions { MaxDegreeOfParallelism = submitters },
            async (i, cancellationToken) => ids[i] = [.. (await clients[i % clients.Count].SubmitAsync(chunks[i], cancellationToken)).Select(t => t.Id)]);
        return [.. ids.SelectMany(chunk => chunk)];
    }

    /// <param name="subscribers">Followers of everything connected meanwhile: they time each task's final update on an otherwise quiet server.</param>
    public static async Task<Result> LatencyAsync(LocalCluster cluster, int count, TimeSpan warmup, int subscribers = 0)
    {
        using var client = cluster.Client();
        await using var followers = subscribers > 0 ? await EventSubscribers.ConnectAsync(cluster, client, subscribers, everything: true) : null;
        var samples = new List<double>(count);
        var twoStep = new List<double>(count);
        // Warm-up: at least 50 rounds and --warmup, so that the JIT has optimized the path in all three
        // processes (its tiering waits for a pause in new compilation, then for 30 calls of each method;
        // with 3 s the first second measured still had two thirds of the run's slow round trips).
        var warming = Stopwatch.StartNew();
        for (var i = 0; i < 50 || warming.Elapsed < warmup; i++) await RoundAsync(i);
        // What the measured round trips still compiled (as throughput reports it): a slow round trip
        // is then not taken for the dispatch's own cost.
        var serverJitBefore = await cluster.ServerJitSecondsAsync();
        var clientJitBefore = System.Runtime.JitInfo.GetCompilationTime();
        for (var i = 0; i < count; i++)
        {
            var (oneRequest, twoRequests) = await RoundAsync(i);
            samples.Add(oneRequest);
            twoStep.Add(twoRequests);
        }
        var serverJitAfter = await cluster.ServerJitSecondsAsync();
        var clientJit = (System.Runtime.JitInfo.GetCompilationTime() - clientJitBefore).TotalSeconds;

        async Task<(double OneRequest, double TwoRequests)> RoundAsync(int i)
        {
            // As a user runs one task: submit and wait in one exchange (POST /api/tasks?wait=).
            var clock = Stopwatch.StartNew();
            var ended = await client.RunAsync(new TaskSpec { Handler = "echo", Args = JsonSerializer.SerializeToElement(i) }, CancellationToken.None);
            var oneRequest = clock.Elapsed.TotalMilliseconds;
            if (ended.Status != TaskState.Succeeded) throw new InvalidOperationException($"task {ended.Id} ended {ended.Status}");
            // And as before there was one: submit, then wait.
            clock.Restart();
            var task = await client.CreateTaskAsync(new TaskSpec { Handler = "echo", Args = JsonSerializer.SerializeToElement(i) }, CancellationToken.None);
            var answer = await client.WaitAsync([task.Id], TimeSpan.FromSeconds(30), CancellationToken.None);
            if (answer.Pending.Count > 0) throw new TimeoutException($"task {task.Id} did not end within 30 s");
            return (oneRequest, clock.Elapsed.TotalMilliseconds);
        }
        samples.Sort();
        // The floors: one plain HTTP exchange with the server, and one durable SQLite commit on the same
        // disk (a round trip in one request makes one that must reach the disk: the finish, which syncs
        // the create's with it; submit-then-wait makes two).
        using var http = new HttpClient { BaseAddress = cluster.Url };
        var health = new List<double>(count);
        for (var i = -50; i < count; i++)
        {
            var clock = Stopwatch.StartNew();
            (await http.GetAsync("health")).EnsureSuccessStatusCode();
            if (i >= 0) health.Add(clock.Elapsed.TotalMilliseconds);
        }
        health.Sort();
        var commit = DurableCommitMs(count);
        var result = new Result("latency (echo round trip)").Add("count", count);
        if (serverJitBefore is { } jitBefore && serverJitAfter is { } jitAfter) result.Add("server_jit_seconds", Math.Round(jitAfter - jitBefore, 3));
        result.Add("client_jit_seconds", Math.Round(clientJit, 3));
        if (followers is not null)
        {
            var delays = followers.Delays();
            result.Add("subscribers", subscribers)
                .Add("event_delay_p50_ms", Percentile(delays, 0.50))
                .Add("event_delay_p99_ms", Percentile(delays, 0.99));
        }
        var p50 = Percentile(samples, 0.50);
        var httpP50 = Percentile(health, 0.50);
        return result
            .Add("http_exchange_p50_ms", httpP50)
            .Add("http_exchange_p99_ms", Percentile(health, 0.99))
            .Add("durable_commit_p50_ms", Percentile(commit, 0.50))
            .Add("durable_commit_p90_ms", Percentile(commit, 0.90))
            .Add("durable_commit_p99_ms", Percentile(commit, 0.99))
            .Add("p50_ms", p50)
            .Add("p90_ms", Percentile(samples, 0.90))
            .Add("p99_ms", Percentile(samples, 0.99))
            .Add("max_ms", Math.Round(samples[^1], 3))
            .Add("submit_then_wait_p50_ms", Percentile([.. twoStep.Order()], 0.50))
            .Add("p50_over_http", Math.Round(p50 / httpP50, 1))
            .Add("p50_over_http_and_one_commit", Math.Round(p50 / (httpP50 + Percentile(commit, 0.50)), 2))
            .Add("p99_over_p50", Math.Round(Percentile(samples, 0.99) / p50, 1));
    }

    /// <summary>One-row commits to a fresh SQLite file in WAL mode with synchronous=FULL, as the server's store makes them: each one's time, sorted.</summary>
    private static List<double> DurableCommitMs(int count)
    {
        var directory = Directory.CreateTempSubdirectory("drover-bench-commit-");
        try
        {
            using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(directory.FullName, "floor.db")};Pooling=False");
            connection.Open();
            using var setup = connection.CreateCommand();
            setup.CommandText = "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)";
            setup.ExecuteNonQuery();
            using var insert = connection.CreateCommand();
            insert.CommandText = "INSERT INTO t (v) VALUES ('x')";
            var times = new List<double>(count);
            for (var i = -20; i < count; i++)
            {
                var clock = Stopwatch.StartNew();
                using (var transaction = connection.BeginTransaction())
                {
                    insert.Transaction = transaction;
                    insert.ExecuteNonQuery();
                    transaction.Commit();
                }
                if (i >= 0) times.Add(clock.Elapsed.TotalMilliseconds);
            }
            times.Sort();
            return times;
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    public static Result SpawnBaseline(int tasks, int parallel) =>
        new Result("spawn-baseline (true, no Drover)")
            .Add("processes", tasks)
            .Add("parallel", parallel)
            .Add("per_second", Math.Round(SpawnRate(tasks, parallel)));

    /// <summary>How many `true` processes per second this machine starts and reaps, <paramref name="parallel"/> at a time.</summary>
    private static double SpawnRate(int tasks, int parallel)
    {
        var next = 0;
        var clock = Stopwatch.StartNew();
        var threads = Enumerable.Range(0, parallel).Select(_ => new Thread(() =>
        {
            while (Interlocked.Increment(ref next) <= tasks)
            {
                using var process = Process.Start(new ProcessStartInfo("true") { UseShellExecute = false })!;
                process.WaitForExit();
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        return tasks / clock.Elapsed.TotalSeconds;
    }

    internal static double Percentile(List<double> sorted, double p) =>
        Math.Round(sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)], 3);
}
