using System.Diagnostics;
using System.Text.Json;
using Drover.Client;
using Drover.Contracts;
using Drover.Model;

namespace Drover.Bench;

/// <summary>
/// What recruiting costs: the same tasks run by workers started by hand beforehand, and by a local
/// recruiter starting from zero workers; how long a deploy takes against starting <c>drover worker</c>
/// by hand, and how soon after the idle timeout the recruited workers are given back.
/// </summary>
internal static class RecruitScenario
{
    public static async Task<Result> RunAsync(string store, int tasks, double seconds, int workers, int concurrency, TimeSpan idleTimeout)
    {
        // By hand: the workers are there (timed from their start to their registration) before the tasks come.
        double handMakespan, handStart;
        await using (var cluster = await LocalCluster.StartServerAsync(store, Directory.CreateTempSubdirectory("drover-bench-").FullName))
        {
            var clock = Stopwatch.StartNew();
            // As the recruited ones: the default prefetch (auto).
            await cluster.StartWorkersAsync(workers, concurrency, prefetch: "auto");
            handStart = clock.Elapsed.TotalSeconds;
            using var client = cluster.Client();
            handMakespan = await MakespanAsync(client, tasks, seconds);
        }

        // Recruited: no worker at all until the tasks come.
        await using var recruiting = await LocalCluster.StartServerAsync(store, Directory.CreateTempSubdirectory("drover-bench-").FullName,
            "--max-local-workers", workers.ToString(System.Globalization.CultureInfo.InvariantCulture), "--recruit-interval", "2s",
            "--idle-timeout", $"{idleTimeout.TotalSeconds}s", "--first-task-timeout", $"{idleTimeout.TotalSeconds}s");
        using var recruited = recruiting.Client();
        await recruited.PutRecruiterAsync(new RecruiterSpec
        {
            Batch = "bench", MaximumWorkers = workers, TasksPerWorker = Math.Max(1, tasks / workers), WorkerConcurrency = concurrency,
        }, CancellationToken.None);
        var recruitedMakespan = await MakespanAsync(recruited, tasks, seconds);
        var lastEnd = DateTimeOffset.UtcNow;
        var jobs = await recruited.ListJobsAsync(null, 1000, CancellationToken.None);
        var deploys = jobs.Where(j => j.Action == JobAction.Deploy).ToList();
        var deploySeconds = deploys.Where(j => j.Ended is not null).Select(j => (j.Ended!.Value - j.Created).TotalSeconds).Order().ToList();

        // Given back: every recruited worker, once idle for the timeout.
        var until = DateTime.UtcNow + idleTimeout + TimeSpan.FromMinutes(2);
        List<JobRecord> destroys;
        do
        {
            await Task.Delay(200);
            destroys = [.. (await recruited.ListJobsAsync(JobState.Succeeded, 1000, CancellationToken.None)).Where(j => j.Action == JobAction.Destroy)];
        }
        while (destroys.Count < deploys.Count && DateTime.UtcNow < until);
        var givenBack = destroys.Count == 0 ? double.NaN : (destroys.Max(j => j.Ended!.Value) - lastEnd - idleTimeout).TotalSeconds;

        return new Result("recruit")
            .Add("store", store)
            .Add("tasks", tasks)
            .Add("task_seconds", seconds)
            .Add("workers", workers)
            .Add("concurrency", concurrency)
            .Add("hand_start_seconds", Math.Round(handStart, 3))
            .Add("hand_makespan_seconds", Math.Round(handMakespan, 3))
            .Add("recruited_makespan_seconds", Math.Round(recruitedMakespan, 3))
            .Add("recruited_over_hand_makespan", Math.Round(recruitedMakespan / handMakespan, 3))
            .Add("deploys", deploys.Count)
            .Add("deploy_seconds_p50", deploySeconds.Count > 0 ? Math.Round(deploySeconds[deploySeconds.Count / 2], 3) : double.NaN)
            .Add("deploy_seconds_max", deploySeconds.Count > 0 ? Math.Round(deploySeconds[^1], 3) : double.NaN)
            .Add("given_back", destroys.Count)
            .Add("given_back_after_idle_timeout_seconds", Math.Round(givenBack, 3));
    }

    /// <summary>From one submit of all the tasks to the end of the last.</summary>
    private static async Task<double> MakespanAsync(DroverClient client, int tasks, double seconds)
    {
        var argv = JsonSerializer.SerializeToElement(new[] { "sleep", seconds.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        var clock = Stopwatch.StartNew();
        var created = await client.CreateTasksAsync([.. Enumerable.Range(0, tasks).Select(_ => new TaskSpec { Command = argv, Batch = "bench" })], CancellationToken.None);
        var ended = await client.WaitAllAsync([.. created.Select(t => t.Id)], CancellationToken.None);
        if (ended.Any(t => t.Status != TaskState.Succeeded)) throw new InvalidOperationException("a task failed");
        return clock.Elapsed.TotalSeconds;
    }
}
