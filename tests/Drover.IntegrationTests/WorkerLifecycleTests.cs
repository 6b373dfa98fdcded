using Drover.IntegrationTests.Infrastructure;
using Drover.Model;
using Drover.Worker.Execution;

namespace Drover.IntegrationTests;

/// <summary>Workers that die or stop while they hold tasks: nothing is lost, nothing runs twice for nothing.</summary>
public sealed class WorkerLifecycleTests : IAsyncLifetime
{
    private readonly DroverCluster _cluster = new(store: "sqlite", leaseTimeout: "2s");
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => await _cluster.StartServerAsync();

    public async ValueTask DisposeAsync() => await _cluster.DisposeAsync();

    [Fact]
    public async Task A_worker_killed_with_sigkill_mid_run_loses_no_task()
    {
        var doomed = await _cluster.StartWorkerAsync(concurrency: 4, "--prefetch", "4");
        await _cluster.StartWorkerAsync(concurrency: 4);
        using var client = _cluster.Client();
        var created = await client.CreateTasksAsync([.. Enumerable.Range(0, 100).Select(_ => Specs.Command("sleep", "0.1"))], Token);

        // Once the doomed worker runs tasks, kill it where it stands.
        var doomedId = Guid.Parse(doomed.Output.Split("registered as ")[1][..36]);
        var query = System.Text.Json.JsonDocument.Parse($$"""{"filter": {"worker_id": "{{doomedId}}", "status": "running"}, "count": true}""").RootElement;
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while ((await client.QueryAsync(query, Token)).GetProperty("count").GetInt32() == 0)
        {
            Assert.True(DateTime.UtcNow < until, "the doomed worker was never seen running a task");
            await Task.Delay(20, Token);
        }
        doomed.Signal(PosixProcess.SigKill);

        var ended = await client.WaitAllAsync([.. created.Select(t => t.Id)], Token);
        Assert.Equal(100, ended.Count);
        Assert.All(ended, t => Assert.Equal(TaskState.Succeeded, t.Status));
        Assert.Equal(WorkerState.Lost, (await client.GetWorkerAsync(doomedId, Token))!.Status);
        // What the dead worker held ran again elsewhere: its attempt ended lost, which used up no retry (retry is 0).
        var rerun = ended.Where(t => t.Attempts > 1).ToList();
        Assert.NotEmpty(rerun);
        foreach (var task in rerun)
        {
            var executions = await client.ListExecutionsAsync(task.Id, Token);
            Assert.Equal(ExecutionState.Lost, executions[0].Status);
            Assert.Equal(doomedId, executions[0].WorkerId);
            Assert.Equal(ExecutionState.Succeeded, executions[^1].Status);
        }
    }

    /// <summary>
    /// Until the task shows running, which what the test does next needs; bounded, and failing rather
    /// than waiting forever if it ended first (on a loaded machine a start can be reported together
    /// with the end, hence sleeps of seconds).
    /// </summary>
    private static async Task UntilRunningAsync(Client.DroverClient client, Guid id)
    {
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            var task = (await client.GetTaskAsync(id, Token))!;
            if (task.Status == TaskState.Running) return;
            Assert.True(task.Status is TaskState.Queued or TaskState.Assigned && DateTime.UtcNow < until, $"the task did not show running: it is {task.Status}");
            await Task.Delay(20, Token);
        }
    }

    [Fact]
    public async Task A_worker_stopped_with_sigterm_lets_running_tasks_finish_and_takes_no_more()
    {
        var worker = await _cluster.StartWorkerAsync(concurrency: 1, "--grace", "30s");
        using var client = _cluster.Client();
        var running = await client.CreateTaskAsync(Specs.Command("sleep", "3"), Token);
        await UntilRunningAsync(client, running.Id);
        var next = await client.CreateTaskAsync(Specs.Command("true"), Token);

        worker.Signal(PosixProcess.SigTerm);
        await worker.WaitForExitAsync(TimeSpan.FromSeconds(30));
        var finished = (await client.GetTaskAsync(running.Id, Token))!;
        Assert.Equal((TaskState.Succeeded, 1), (finished.Status, finished.Attempts));
        Assert.Equal(TaskState.Queued, (await client.GetTaskAsync(next.Id, Token))!.Status);
        Assert.Contains("letting 1 running task(s) finish", worker.Output);
    }

    [Fact]
    public async Task Concurrency_pause_and_drain_change_a_running_worker_live()
    {
        var process = await _cluster.StartWorkerAsync(concurrency: 1);
        using var client = _cluster.Client();
        var worker = Assert.Single(await client.ListWorkersAsync(Token));
        using var http = _cluster.Http(_cluster.AdminToken);
        async Task PatchAsync(string body)
        {
            var response = await http.PatchAsync($"api/workers/{worker.Id}", new StringContent(body, System.Text.Encoding.UTF8, "application/json"), Token);
            Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        }

        // Two slots: two sleeps run side by side.
        await PatchAsync("""{"concurrency": 2}""");
        var pair = await client.CreateTasksAsync([Specs.Command("sleep", "1"), Specs.Command("sleep", "1")], Token);
        var ran = await client.WaitAllAsync([.. pair.Select(t => t.Id)], Token);
        Assert.True(ran.Max(t => t.Started) < ran.Min(t => t.Completed), "the second slot did not open");

        // Paused: a new task waits; resumed, it runs.
        await PatchAsync("""{"paused": true}""");
        var waiting = await client.CreateTaskAsync(Specs.Command("true"), Token);
        Assert.Single((await client.WaitAsync([waiting.Id], TimeSpan.FromSeconds(1), Token)).Pending);
        Assert.Equal(WorkerState.Paused, await StatusSoonAsync(WorkerState.Paused));
        await PatchAsync("""{"paused": false}""");
        await client.WaitAllAsync([waiting.Id], Token);

        // Bad settings are refused, naming the field.
        var bad = await http.PatchAsync($"api/workers/{worker.Id}", new StringContent("""{"concurrency": 0, "prefetch": -1}""", System.Text.Encoding.UTF8, "application/json"), Token);
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, bad.StatusCode);
        var problem = await bad.Content.ReadAsStringAsync(Token);
        Assert.Contains("concurrency", problem);
        Assert.Contains("prefetch", problem);

        // Drain: the running task finishes, then the worker exits.
        var last = await client.CreateTaskAsync(Specs.Command("sleep", "3"), Token);
        await UntilRunningAsync(client, last.Id);
        Assert.Equal(System.Net.HttpStatusCode.OK, (await http.DeleteAsync($"api/workers/{worker.Id}", Token)).StatusCode);
        await process.WaitForExitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(TaskState.Succeeded, (await client.GetTaskAsync(last.Id, Token))!.Status);
        Assert.Equal(WorkerState.Stopped, (await client.GetWorkerAsync(worker.Id, Token))!.Status);

        async Task<WorkerState> StatusSoonAsync(WorkerState wanted)
        {
            // The worker reports its paused state at its next report: give it a few heartbeats.
            for (var i = 0; i < 100; i++)
            {
                var status = (await client.GetWorkerAsync(worker.Id, Token))!.Status;
                if (status == wanted) return status;
                await Task.Delay(100, Token);
            }
            return (await client.GetWorkerAsync(worker.Id, Token))!.Status;
        }
    }
}
