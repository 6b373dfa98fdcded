using System.Diagnostics;
using System.Text.Json;
using Drover.Contracts;
using Drover.Model;
using Hangfire;
using Hangfire.InMemory;

namespace Drover.Bench;

/// <summary>
/// Drover with its defaults (a server, 2 workers with <c>--prefetch auto</c>, SQLite with synchronous=FULL)
/// against Hangfire 1.8 with its in-memory storage, client and server in this one process (no network,
/// no durability), the same number of no-op jobs and of workers, in one run.
/// </summary>
internal static class HangfireScenario
{
    private static int _done;
    private static int _target;
    private static TaskCompletionSource? _all;

    /// <summary>Hangfire's job: counts itself, and completes the round at the last one.</summary>
    public static void Echo(int value)
    {
        if (Interlocked.Increment(ref _done) == Volatile.Read(ref _target)) _all!.TrySetResult();
    }

    public static async Task<Result> RunAsync(string store, int tasks, int workers, int concurrency)
    {
        var (hangfireSeconds, hangfireCpu) = await HangfireAsync(tasks, workers * concurrency);

        await using var cluster = await LocalCluster.StartAsync(store, workers, concurrency, prefetch: "auto");
        using var client = cluster.Client();
        await DroverRoundAsync(client, Math.Min(tasks, 2000)); // warm-up, as for Hangfire
        var cpuBefore = cluster.CpuSeconds()!.Value;
        var clientCpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        await DroverRoundAsync(client, tasks);
        var droverSeconds = clock.Elapsed.TotalSeconds;
        var cpu = cluster.CpuSeconds()!.Value;
        var droverCpu = cpu.Server - cpuBefore.Server + cpu.Workers - cpuBefore.Workers
            + (Process.GetCurrentProcess().TotalProcessorTime - clientCpuBefore).TotalSeconds;

        return new Result("hangfire")
            .Add("tasks", tasks)
            .Add("workers", $"{workers} x {concurrency}")
            .Add("hangfire_per_second", Math.Round(tasks / hangfireSeconds))
            .Add("drover_per_second", Math.Round(tasks / droverSeconds))
            .Add("drover_over_hangfire", Math.Round(hangfireSeconds / droverSeconds, 3))
            .Add("hangfire_cpu_us_per_task", Math.Round(hangfireCpu / tasks * 1e6))
            .Add("drover_cpu_us_per_task", Math.Round(droverCpu / tasks * 1e6))
            .Add("store", store);
    }

    private static async Task<(double Seconds, double CpuSeconds)> HangfireAsync(int tasks, int workerCount)
    {
        var storage = new InMemoryStorage();
        var jobs = new BackgroundJobClient(storage);
        using var server = new BackgroundJobServer(new BackgroundJobServerOptions { WorkerCount = workerCount }, storage);
        await HangfireRoundAsync(jobs, Math.Min(tasks, 2000));
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        await HangfireRoundAsync(jobs, tasks);
        var seconds = clock.Elapsed.TotalSeconds;
        return (seconds, (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalSeconds);
    }

    private static async Task HangfireRoundAsync(BackgroundJobClient jobs, int tasks)
    {
        _done = 0;
        _all = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _target, tasks);
        for (var i = 0; i < tasks; i++)
        {
            var value = i;
            jobs.Enqueue(() => Echo(value));
        }
        await _all.Task.WaitAsync(TimeSpan.FromMinutes(10));
    }

    private static async Task DroverRoundAsync(Client.DroverClient client, int tasks)
    {
        var specs = Enumerable.Range(0, tasks).Select(i => new TaskSpec { Handler = "echo", Args = JsonSerializer.SerializeToElement(i) }).ToList();
        var ids = new List<Guid>();
        foreach (var chunk in specs.Chunk(1000)) ids.AddRange((await client.SubmitAsync(chunk, CancellationToken.None)).Select(t => t.Id));
        var ended = await client.WaitAllAsync(ids, CancellationToken.None);
        if (ended.Any(t => t.Status != TaskState.Succeeded)) throw new InvalidOperationException("a task failed");
    }
}
