using System.Net;
using Drover.Client;
using Drover.IntegrationTests.Infrastructure;
using Drover.Model;

namespace Drover.IntegrationTests;

/// <summary>pause, resume, term and kill reach the running processes through the worker's long-poll.</summary>
[Collection("cluster")]
public sealed class SignalTests(SharedCluster shared)
{
    private readonly DroverCluster _cluster = shared.Cluster;
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private async Task<TaskRecord> RunningAsync(DroverClient client, Guid id)
    {
        for (var i = 0; i < 600; i++)
        {
            var task = (await client.GetTaskAsync(id, Token))!;
            if (task.Status == TaskState.Running) return task;
            await Task.Delay(50, Token);
        }
        throw new TimeoutException($"task {id} never ran ({(await client.GetTaskAsync(id, Token))!.Status})");
    }

    [Fact]
    public async Task A_paused_sleep_takes_longer_by_the_pause_and_then_succeeds()
    {
        using var client = _cluster.Client();
        // Ten short sleeps, one after another: stopped, the loop makes no progress. (A single sleep's
        // timer would run on in the kernel while it is stopped.) The shell prints its own start and
        // end, so the wall time is the process's, not the reports'.
        var task = await client.CreateTaskAsync(Specs.Shell("date +%s.%N; for i in 1 2 3 4 5 6 7 8 9 10; do sleep 0.1; done; date +%s.%N"), Token);
        await RunningAsync(client, task.Id);
        Assert.Equal(TaskState.Paused, (await client.SignalTaskAsync(task.Id, TaskSignal.Pause, Token)).Status);
        await Task.Delay(TimeSpan.FromSeconds(2), Token);
        Assert.Equal(TaskState.Paused, (await client.GetTaskAsync(task.Id, Token))!.Status);
        await client.SignalTaskAsync(task.Id, TaskSignal.Resume, Token);

        await client.WaitAllAsync([task.Id], Token);
        var ended = (await client.GetTaskAsync(task.Id, Token))!;
        Assert.Equal(TaskState.Succeeded, ended.Status);
        var times = ended.Stdout!.Trim().Split('\n').Select(l => double.Parse(l, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.True(times[1] - times[0] >= 2.5, $"the sleep took {times[1] - times[0]:F2} s: the pause did not hold it");
        var execution = Assert.Single(await client.ListExecutionsAsync(task.Id, Token));
        Assert.Equal([TaskSignal.Pause, TaskSignal.Resume], execution.Signals!.Select(s => s.Signal));
    }

    [Fact]
    public async Task A_pause_sent_before_the_process_made_its_group_holds_it()
    {
        // A slow setsid (a busy machine): the task's process has started, so the task is running, but for a
        // second its process group does not exist yet. A pause sent then must still hold the task.
        var tools = Directory.CreateTempSubdirectory("drover-slow-setsid-").FullName;
        try
        {
            var setsid = Worker.Execution.PosixProcess.Resolve("setsid", Environment.GetEnvironmentVariable("PATH"))!;
            var slow = Path.Combine(tools, "setsid");
            File.WriteAllText(slow, $"#!/bin/sh\nsleep 1\nexec {setsid} \"$@\"\n");
            File.SetUnixFileMode(slow, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            await using var cluster = new DroverCluster();
            cluster.Environment["PATH"] = tools + ":" + Environment.GetEnvironmentVariable("PATH");
            await cluster.StartServerAsync();
            await cluster.StartWorkerAsync(concurrency: 1);
            using var client = cluster.Client();
            var task = await client.CreateTaskAsync(Specs.Shell("date +%s.%N"), Token);
            await RunningAsync(client, task.Id);
            Assert.Equal(TaskState.Paused, (await client.SignalTaskAsync(task.Id, TaskSignal.Pause, Token)).Status);
            await Task.Delay(TimeSpan.FromSeconds(2), Token);
            var resumed = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;
            await client.SignalTaskAsync(task.Id, TaskSignal.Resume, Token);

            var ended = (await client.WaitAllAsync([task.Id], Token))[0];
            Assert.Equal(TaskState.Succeeded, ended.Status);
            var began = double.Parse((await client.GetTaskAsync(task.Id, Token))!.Stdout!.Trim(), System.Globalization.CultureInfo.InvariantCulture);
            Assert.True(began >= resumed - 0.1, $"the command began {resumed - began:F2} s before its resume: the pause did not hold it");
        }
        finally
        {
            Directory.Delete(tools, recursive: true);
        }
    }

    [Fact]
    public async Task Kill_and_term_stop_running_processes_and_end_the_tasks_canceled()
    {
        using var client = _cluster.Client();
        var killed = await client.CreateTaskAsync(Specs.Command("sleep", "120") with { Retry = 2 }, Token);
        var termed = await client.CreateTaskAsync(Specs.Shell("trap 'echo bye; exit 143' TERM; sleep 120 & wait"), Token);
        await RunningAsync(client, killed.Id);
        await RunningAsync(client, termed.Id);
        await client.SignalTaskAsync(killed.Id, TaskSignal.Kill, Token);
        await client.SignalTaskAsync(termed.Id, TaskSignal.Term, Token);

        var ended = (await client.WaitAllAsync([killed.Id, termed.Id], Token)).ToDictionary(t => t.Id);
        Assert.Equal((TaskState.Canceled, "terminated by request (kill)"), (ended[killed.Id].Status, ended[killed.Id].Reason));
        Assert.Equal(TaskState.Canceled, ended[termed.Id].Status);
        Assert.Equal("bye\n", (await client.GetTaskAsync(termed.Id, Token))!.Stdout);
        Assert.Single(await client.ListExecutionsAsync(killed.Id, Token)); // not retried

        var conflict = await Assert.ThrowsAsync<DroverApiException>(() => client.SignalTaskAsync(killed.Id, TaskSignal.Resume, Token));
        Assert.Equal(HttpStatusCode.Conflict, conflict.Status);
    }

    [Fact]
    public async Task Term_on_a_task_that_has_not_started_cancels_it_and_a_bad_signal_is_refused()
    {
        using var client = _cluster.Client();
        var blocker = await client.CreateTaskAsync(Specs.Command("sleep", "60"), Token);
        var waiting = await client.CreateTaskAsync(Specs.Command("true") with { Requires = [blocker.Id.ToString()] }, Token);
        Assert.Equal(TaskState.Canceled, (await client.SignalTaskAsync(waiting.Id, TaskSignal.Term, Token)).Status);
        var (code, output) = await _cluster.CliAsync("signal", blocker.Id.ToString(), "stop");
        Assert.Equal(2, code);
        Assert.Contains("pause, resume, term, kill", output);
        (code, _) = await _cluster.CliAsync("signal", blocker.Id.ToString(), "kill");
        Assert.Equal(0, code);
        await client.WaitAllAsync([blocker.Id], Token);
    }

    [Fact]
    public async Task A_task_sets_its_own_status_with_its_token_and_the_token_can_do_nothing_else()
    {
        using var client = _cluster.Client();
        var dir = Directory.CreateTempSubdirectory("drover-status-").FullName;
        try
        {
            var task = await client.CreateTaskAsync(Specs.Shell(
                $"echo $DROVER_TASK_TOKEN > {dir}/token; test -z \"$DROVER_TOKEN\" && dotnet {DroverProcess.DroverDll} status 'half way' --progress 0.5 && sleep 30"), Token);
            TaskRecord seen;
            var tries = 0;
            while ((seen = (await client.GetTaskAsync(task.Id, Token))!).StatusMessage is null && tries++ < 600) await Task.Delay(50, Token);
            Assert.Equal(("half way", 0.5), (seen.StatusMessage, seen.Progress));

            var token = (await File.ReadAllTextAsync(Path.Combine(dir, "token"), Token)).Trim();
            using var asTask = _cluster.Http(token);
            Assert.Equal(HttpStatusCode.Forbidden, (await asTask.GetAsync("api/tasks", Token)).StatusCode);
            var own = await asTask.PostAsync($"api/tasks/{task.Id}/status", new StringContent("""{"progress": 0.75}""", System.Text.Encoding.UTF8, "application/json"), Token);
            Assert.Equal(HttpStatusCode.OK, own.StatusCode);
            var blocker = await client.CreateTaskAsync(Specs.Command("sleep", "30"), Token);
            await RunningAsync(client, blocker.Id);
            var foreign = await asTask.PostAsync($"api/tasks/{blocker.Id}/status", new StringContent("""{"progress": 0.1}""", System.Text.Encoding.UTF8, "application/json"), Token);
            Assert.Equal(HttpStatusCode.Conflict, foreign.StatusCode);
            // It reads its own record, and no other.
            Assert.Equal(HttpStatusCode.OK, (await asTask.GetAsync($"api/tasks/{task.Id}", Token)).StatusCode);
            Assert.Equal(HttpStatusCode.Forbidden, (await asTask.GetAsync($"api/tasks/{blocker.Id}", Token)).StatusCode);
            Assert.Equal(HttpStatusCode.Forbidden, (await asTask.GetAsync($"api/tasks/{Guid.NewGuid()}", Token)).StatusCode);
            using var forged = _cluster.Http(token[..^4] + "AAAA");
            Assert.Equal(HttpStatusCode.Unauthorized, (await forged.PostAsync($"api/tasks/{task.Id}/status", new StringContent("""{"progress": 0.1}""", System.Text.Encoding.UTF8, "application/json"), Token)).StatusCode);
            var bad = await asTask.PostAsync($"api/tasks/{task.Id}/status", new StringContent("""{"progress": 2}""", System.Text.Encoding.UTF8, "application/json"), Token);
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);

            await client.CancelTaskAsync(task.Id, Token);
            await client.CancelTaskAsync(blocker.Id, Token);
            Assert.Equal(HttpStatusCode.Conflict, (await asTask.PostAsync($"api/tasks/{task.Id}/status", new StringContent("""{"progress": 0.9}""", System.Text.Encoding.UTF8, "application/json"), Token)).StatusCode);
            Assert.Equal(HttpStatusCode.Forbidden, (await asTask.GetAsync($"api/tasks/{task.Id}", Token)).StatusCode); // it no longer runs
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
