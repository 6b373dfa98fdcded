using System.Globalization;
using Drover.Client;
using Drover.IntegrationTests.Infrastructure;
using Drover.Model;
using Drover.Worker.Execution;

namespace Drover.IntegrationTests;

/// <summary>
/// Nothing outlives what started it: a worker's task processes die with the worker, and up's workers
/// with up, however they die (kill -9 included); a worker stopped with its server gone exits at once.
/// </summary>
public sealed class OrphanTests : IAsyncLifetime
{
    private readonly DroverCluster _cluster = new(leaseTimeout: "3s");
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync() => await _cluster.DisposeAsync();

    /// <summary>A task whose processes carry a unique mark in their command lines: a sleep in the background and one in front.</summary>
    private static (Contracts.TaskSpec Spec, string Mark) Sleeper()
    {
        var mark = $"3000.{Random.Shared.Next(100_000, 999_999)}";
        return (Specs.Shell($"sleep {mark}1 & sleep {mark}2; echo woke"), mark);
    }

    /// <summary>Live processes (not zombies) of the task, of the task's shell and of its guard: their command lines hold the mark.</summary>
    private static List<int> Marked(string mark)
    {
        var found = new List<int>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out var pid)) continue;
            try
            {
                var cmdline = File.ReadAllText(Path.Combine(directory, "cmdline")).Replace('\0', ' ');
                var stat = File.ReadAllText(Path.Combine(directory, "stat"));
                var state = stat[(stat.LastIndexOf(')') + 2)..][0];
                if (cmdline.Contains(mark, StringComparison.Ordinal) && state != 'Z') found.Add(pid);
            }
            catch (IOException)
            {
                // Gone while looking.
            }
        }
        return found;
    }

    private static bool IsSleep(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").StartsWith("sleep\0", StringComparison.Ordinal);
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static bool IsAlive(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..][0] != 'Z';
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>Waits (a bounded while) for a condition about other processes, which nothing can signal to the test.</summary>
    private static async Task<bool> EventuallyAsync(Func<bool> condition, TimeSpan within)
    {
        var until = DateTime.UtcNow + within;
        while (!condition())
        {
            if (DateTime.UtcNow > until) return false;
            await Task.Delay(100, Token);
        }
        return true;
    }

    [Fact]
    public async Task A_killed_workers_task_processes_die_with_it()
    {
        await _cluster.StartServerAsync();
        var worker = await _cluster.StartWorkerAsync();
        using var client = _cluster.Client();
        var (spec, mark) = Sleeper();
        await client.CreateTaskAsync(spec, Token);
        Assert.True(await EventuallyAsync(() => Marked(mark).Count(IsSleep) == 2, TimeSpan.FromSeconds(30)), "the task's two sleeps did not start");

        worker.Signal(PosixProcess.SigKill);
        Assert.True(await EventuallyAsync(() => Marked(mark).Count == 0, TimeSpan.FromSeconds(15)),
            $"processes of the task outlived their worker: {string.Join(", ", Marked(mark))}");
    }

    [Fact]
    public async Task Ups_workers_and_their_tasks_die_with_a_killed_up_and_the_next_up_starts_clean()
    {
        var directory = Directory.CreateTempSubdirectory("drover-orphan-up-").FullName;
        var port = FreePort.Next();
        var url = new Uri($"http://127.0.0.1:{port}/");
        DroverProcess Up() => DroverProcess.Start(["up", "--port", port.ToString(CultureInfo.InvariantCulture), "--workers", "2"], workingDirectory: directory);
        try
        {
            List<int> workerPids;
            string mark;
            await using (var up = Up())
            {
                await up.WaitForLineAsync("Press Ctrl-C", TimeSpan.FromSeconds(30));
                using var client = new DroverClient(url, File.ReadAllText(Path.Combine(directory, "drover-data", "admin.token")).Trim());
                var workers = new List<WorkerRecord>();
                for (var i = 0; i < 300 && workers.Count < 2; i++)
                {
                    workers = [.. await client.ListWorkersAsync(Token)];
                    if (workers.Count < 2) await Task.Delay(100, Token);
                }
                workerPids = [.. workers.Select(w => w.Pid!.Value)];
                Assert.Equal(2, workerPids.Count);
                Contracts.TaskSpec spec;
                (spec, mark) = Sleeper();
                await client.CreateTaskAsync(spec, Token);
                Assert.True(await EventuallyAsync(() => Marked(mark).Count(IsSleep) == 2, TimeSpan.FromSeconds(30)), "the task's two sleeps did not start");

                up.Signal(PosixProcess.SigKill);
                await up.WaitForExitAsync(TimeSpan.FromSeconds(10));
            }
            Assert.True(await EventuallyAsync(() => !workerPids.Any(IsAlive), TimeSpan.FromSeconds(20)),
                $"workers of the killed up are still running: {string.Join(", ", workerPids.Where(IsAlive))}");
            Assert.True(await EventuallyAsync(() => Marked(mark).Count == 0, TimeSpan.FromSeconds(15)), "the task's processes outlived up");

            // The next up on the same directory starts (the killed one's lock died with it) and has only its own workers.
            await using var again = Up();
            await again.WaitForLineAsync("Press Ctrl-C", TimeSpan.FromSeconds(30));
            Assert.DoesNotContain(workerPids, IsAlive);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task A_worker_stopped_while_its_server_is_gone_exits_at_once()
    {
        await _cluster.StartServerAsync();
        var worker = await _cluster.StartWorkerAsync();
        using (var client = _cluster.Client())
        {
            var (spec, mark) = Sleeper();
            await client.CreateTaskAsync(spec, Token);
            Assert.True(await EventuallyAsync(() => Marked(mark).Count(IsSleep) == 2, TimeSpan.FromSeconds(30)), "the task did not start");
        }
        await _cluster.KillServerAsync();

        worker.Signal(PosixProcess.SigTerm);
        // It used to take about 20 s, retrying hand-backs to a server that is not there.
        // (Its log says why, but a console logger may lose its last lines at exit: the exit is what is checked.)
        await worker.WaitForExitAsync(TimeSpan.FromSeconds(15));
        Assert.True(worker.HasExited);
    }
}
