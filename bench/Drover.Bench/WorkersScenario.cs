using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using Drover.Client;
using Drover.Contracts;
using Drover.Model;

namespace Drover.Bench;

/// <summary>
/// Many workers from one process (issue 22): each registers and speaks the worker protocol over HTTP
/// as <c>drover worker --channel off</c> does — long-polled leases, a report of each batch of finished
/// echo tasks, a heartbeat with machine stats every few seconds — so a hundred workers cost a hundred
/// loops here, not a hundred .NET processes. Measures the server's load per request, how evenly the
/// work spreads, and that no task was run twice or lost.
/// </summary>
internal static class WorkersScenario
{
    private static readonly TimeSpan Heartbeat = TimeSpan.FromSeconds(2);

    public static async Task<Result> RunAsync(LocalCluster cluster, int workers, int tasks, int concurrency, int batchSize)
    {
        using var stop = new CancellationTokenSource();
        var simulated = new List<Simulated>();
        for (var i = 0; i < workers; i++)
        {
            // Worker i talks to server i mod N, as real workers spread over servers would.
            var client = cluster.WorkerClient(i);
            var registered = await client.RegisterWorkerAsync(new WorkerRegistration
            {
                Name = $"sim-{i}", Hostname = "bench", Concurrency = concurrency, Handlers = [LeasedTask.EchoHandler],
            }, CancellationToken.None);
            simulated.Add(new Simulated(client, registered.Worker.Id));
        }
        if (cluster.Database is { } database) await database.StartAsync();
        var cpuBefore = cluster.CpuSeconds();
        var clock = Stopwatch.StartNew();
        var loops = simulated.Select(w => Task.Run(() => w.RunAsync(concurrency, stop.Token))).ToList();

        var submitClients = Enumerable.Range(0, cluster.Urls.Count).Select(cluster.Client).ToList();
        var specs = Enumerable.Range(0, tasks).Select(i => new TaskSpec { Handler = LeasedTask.EchoHandler, Args = JsonSerializer.SerializeToElement(i), Batch = "sim" }).ToList();
        var ids = await Scenarios.SubmitAllAsync(submitClients, specs, batchSize, submitters: 2);
        using var reader = cluster.Client();
        var waiting = reader.WaitAllAsync(ids, CancellationToken.None);
        // A simulated worker ends only by failing (until stopped): then its leases would never end; fail the run with its error.
        if (await Task.WhenAny(waiting, Task.WhenAny(loops)) != waiting) await await Task.WhenAny(loops);
        var ended = await waiting;
        var elapsed = clock.Elapsed;
        var cpu = cluster.CpuSeconds();
        await stop.CancelAsync();
        await Task.WhenAll(loops);
        foreach (var worker in simulated) await worker.StopAsync();

        var perWorker = simulated.Select(w => w.Finished).Order().ToList();
        var leases = simulated.Sum(w => w.Leases);
        var reports = simulated.Sum(w => w.Reports);
        var heartbeats = simulated.Sum(w => w.Heartbeats);
        var result = new Result("workers")
            .Add("workers", workers)
            .Add("servers", cluster.Urls.Count)
            .Add("tasks", tasks)
            .Add("seconds", Math.Round(elapsed.TotalSeconds, 3))
            .Add("tasks_per_second", Math.Round(tasks / elapsed.TotalSeconds))
            .Add("failed", ended.Count(t => t.Status != TaskState.Succeeded))
            // Exactly once: every task ended after one attempt, and the workers' finishes add up to the tasks.
            .Add("tasks_not_run_once", ended.Count(t => t.Attempts != 1))
            .Add("finished_reported", perWorker.Sum())
            .Add("stale_reports", simulated.Sum(w => w.Stale))
            .Add("tasks_per_worker_min_median_max", $"{perWorker[0]} / {perWorker[perWorker.Count / 2]} / {perWorker[^1]}")
            .Add("workers_with_no_task", perWorker.Count(n => n == 0))
            .Add("lease_requests_per_second", Math.Round(leases / elapsed.TotalSeconds))
            .Add("reports_per_second", Math.Round(reports / elapsed.TotalSeconds))
            .Add("heartbeats_per_second", Math.Round(heartbeats / elapsed.TotalSeconds, 1));
        if (cpu is { } after && cpuBefore is { } before)
        {
            var serverSeconds = after.Server - before.Server;
            result.Add("server_cpu_seconds", Math.Round(serverSeconds, 2))
                .Add("server_cpu_us_per_request", Math.Round(serverSeconds / Math.Max(1, leases + reports) * 1e6, 1));
        }
        submitClients.ForEach(c => c.Dispose());
        if (cluster.Database is { } db) await db.AddToAsync(result, tasks);
        return result;
    }

    /// <summary>One simulated worker: lease, finish what it got at once (echo), report, heartbeat.</summary>
    private sealed class Simulated(DroverClient client, Guid id)
    {
        public int Finished;
        public int Leases;
        public int Reports;
        public int Heartbeats;
        public int Stale;

        public async Task RunAsync(int concurrency, CancellationToken stop)
        {
            try
            {
                await LoopAsync(concurrency, stop);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
            }
            catch (Exception ex)
            {
                // A worker that dies leaves its tasks to expire: the run would then wait for them, so say why at once.
                Console.Error.WriteLine($"simulated worker {id} failed: {ex.Message}");
                throw;
            }
        }

        private async Task LoopAsync(int concurrency, CancellationToken stop)
        {
            var lastHeartbeat = Stopwatch.StartNew();
            while (!stop.IsCancellationRequested)
            {
                var leased = await client.LeaseAsync(id, new LeaseRequest { Max = concurrency, Wait = 1 }, stop);
                Interlocked.Increment(ref Leases);
                var beat = lastHeartbeat.Elapsed >= Heartbeat;
                if (leased.Count == 0 && !beat) continue;
                var report = new WorkerReport
                {
                    Events = [.. leased.Select(t => new ReportEvent { Type = ReportEventType.Finished, ExecutionId = t.ExecutionId, ExitCode = 0, Result = t.Args })],
                    // Every few seconds, as a real worker: the leases it holds (none: echo ends at once) and its machine.
                    Held = beat ? [] : null,
                    Stats = beat ? new MachineStats { Cpus = 2, Load1 = 0.5 } : null,
                };
                var answer = await client.ReportAsync(id, report, CancellationToken.None);
                Interlocked.Increment(ref Reports);
                Interlocked.Add(ref Stale, answer.Stale.Count);
                Interlocked.Add(ref Finished, leased.Count - answer.Stale.Count);
                if (beat)
                {
                    Interlocked.Increment(ref Heartbeats);
                    lastHeartbeat.Restart();
                }
            }
        }

        public async Task StopAsync()
        {
            await client.ReportAsync(id, new WorkerReport { State = WorkerState.Stopped, Held = [] }, CancellationToken.None);
            client.Dispose();
        }
    }
}
