using System.Diagnostics;
using Drover.Tracker;

namespace Drover.Bench;

/// <summary>
/// <c>bench tracker</c>: durable updates per second (each returns only once committed: it would
/// survive a kill -9) from one process — one thread, and several threads sharing commits — and from
/// several processes on one file; and <c>TryKeys</c> claims per second from several processes.
/// The processes are this program again (<c>tracker-child</c>).
/// </summary>
internal static class TrackerScenario
{
    public static async Task<Result> RunAsync(int updates, int processes, int threads)
    {
        var dir = Directory.CreateTempSubdirectory("drover-bench-tracker-").FullName;
        try
        {
            var result = new Result("tracker (durable updates, claims)").Add("updates", updates).Add("processes", processes).Add("threads", threads);
            result.Add("one_thread_per_second", Math.Round(updates / 4 / Time(() => Write(Path.Combine(dir, "one.pod"), "k", updates / 4, 1)).TotalSeconds));
            result.Add("one_process_per_second", Math.Round(updates / Time(() => Write(Path.Combine(dir, "threads.pod"), "k", updates, threads)).TotalSeconds));
            var shared = Path.Combine(dir, "shared.pod");
            var elapsed = await TimeAsync(() => Children(processes, p => ["write", shared, $"p{p}-", (updates / processes).ToString(), threads.ToString()]));
            result.Add($"{processes}_processes_per_second", Math.Round(updates / elapsed.TotalSeconds));

            var work = Path.Combine(dir, "work.tracker");
            var keys = Math.Max(1000, updates / 10);
            using (var tracker = ProgressTracker.Open(work)) tracker.AddManyIfAbsent(Enumerable.Range(0, keys).Select(i => $"k{i}"));
            var claiming = await TimeAsync(() => Children(processes, _ => ["work", work]));
            using (var tracker = ProgressTracker.Open(work))
            {
                if (tracker.Counts().Done != keys) throw new InvalidOperationException($"only {tracker.Counts().Done} of {keys} keys done");
            }
            result.Add("claim_keys", keys).Add($"claims_{processes}_processes_per_second", Math.Round(keys / claiming.TotalSeconds));
            return result;
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>What a child process does: <c>write PATH PREFIX COUNT THREADS</c> or <c>work PATH</c> (claim, mark done).</summary>
    public static int Child(string[] args)
    {
        if (args[0] == "write") Write(args[1], args[2], int.Parse(args[3]), int.Parse(args[4]));
        else
        {
            using var tracker = ProgressTracker.Open(args[1]);
            foreach (var key in tracker.TryKeys()) tracker.MarkDone(key);
        }
        return 0;
    }

    private static void Write(string path, string prefix, int count, int threads)
    {
        using var pod = PersistentDictionary.Open<int>(path);
        Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, thread =>
        {
            for (var i = thread; i < count; i += threads) pod[$"{prefix}{i}"] = i;
        });
    }

    private static async Task Children(int count, Func<int, string[]> args)
    {
        var children = Enumerable.Range(0, count).Select(i =>
        {
            var start = new ProcessStartInfo("dotnet") { UseShellExecute = false };
            start.ArgumentList.Add(typeof(TrackerScenario).Assembly.Location);
            start.ArgumentList.Add("tracker-child");
            foreach (var arg in args(i)) start.ArgumentList.Add(arg);
            return Process.Start(start)!;
        }).ToList();
        foreach (var child in children)
        {
            await child.WaitForExitAsync();
            if (child.ExitCode != 0) throw new InvalidOperationException($"a tracker child failed ({child.ExitCode})");
            child.Dispose();
        }
    }

    private static TimeSpan Time(Action action)
    {
        var clock = Stopwatch.StartNew();
        action();
        return clock.Elapsed;
    }

    private static async Task<TimeSpan> TimeAsync(Func<Task> action)
    {
        var clock = Stopwatch.StartNew();
        await action();
        return clock.Elapsed;
    }
}
