using System.Net;
using System.Net.Http.Json;
using Drover.Client;
using Drover.Contracts;
using Drover.IntegrationTests.Infrastructure;
using Drover.Json;
using Drover.Model;

namespace Drover.IntegrationTests;

/// <summary>
/// Recruiters on a real server: local workers deployed as a batch's tasks wait and given back when idle,
/// recycling between batches, command providers that fail, never register, or run a worker (as over ssh).
/// </summary>
public sealed class RecruiterTests : IAsyncLifetime
{
    private readonly string _directory = Directory.CreateTempSubdirectory("drover-recruit-").FullName;
    private DroverCluster? _cluster;
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        if (_cluster is not null) await _cluster.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    private async Task<DroverClient> StartAsync(string? providers = null, params string[] args)
    {
        string[] providerArgs = [];
        if (providers is not null)
        {
            var path = Path.Combine(_directory, "providers.json");
            await File.WriteAllTextAsync(path, providers.Replace("DROVER", $"dotnet {DroverProcess.DroverDll}", StringComparison.Ordinal), Token);
            providerArgs = ["--providers", path];
        }
        _cluster = new DroverCluster("sqlite", "10s", null, ["--recruit-interval", "1s", .. providerArgs, .. args]);
        await _cluster.StartServerAsync();
        return _cluster.Client();
    }

    private static Task<IReadOnlyList<JobRecord>> JobsAsync(DroverClient client) => client.ListJobsAsync(null, 1000, Token);

    /// <summary>A recruiter for batch x (one worker per task, one at most unless it says), and one task there for it to recruit for.</summary>
    private static async Task OneTaskWaitsForAsync(DroverClient client, RecruiterSpec recruiter)
    {
        await client.PutRecruiterAsync(recruiter with { Batch = "x", MaximumWorkers = recruiter.MaximumWorkers ?? 1, TasksPerWorker = 1 }, Token);
        await client.CreateTasksAsync([Specs.Command("true") with { Batch = "x" }], Token);
    }

    /// <summary>Whether that process still runs that worker (a pid may be reused; a process may end while we read).</summary>
    private static bool IsRunning(int pid, string name)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Contains(name, StringComparison.Ordinal);
        }
        catch (IOException)
        {
            return false;
        }
    }

    [Fact]
    public async Task A_local_recruiter_takes_a_batch_from_zero_workers_to_its_maximum_and_back_to_zero_when_idle()
    {
        using var client = await StartAsync(null, "--max-local-workers", "4", "--idle-timeout", "3s", "--first-task-timeout", "3s");
        Assert.Empty(await client.ListWorkersAsync(Token));
        await client.PutRecruiterAsync(new RecruiterSpec
        {
            Batch = "nightly", Rank = 1, Provider = "local", MaximumWorkers = 4, TasksPerWorker = 50, WorkerConcurrency = 4,
        }, Token);
        var tasks = await client.CreateTasksAsync([.. Enumerable.Range(0, 1000).Select(_ => Specs.Command("sleep", "0.02") with { Batch = "nightly" })], Token);

        var workers = await Eventually.ValueAsync(() => client.ListWorkersAsync(Token), w => w.Count(x => x.Status.IsConnected()) == 4,
            TimeSpan.FromSeconds(60), "four recruited workers connected");
        Assert.All(workers, w => Assert.Equal(("local", "local", "nightly", 4), (w.Provider, w.Flavor, w.Batch, w.Concurrency)));
        var ended = await client.WaitAllAsync([.. tasks.Select(t => t.Id)], Token);
        Assert.All(ended, t => Assert.Equal(TaskState.Succeeded, t.Status));
        Assert.Subset(workers.Select(w => w.Id).ToHashSet(), ended.Select(t => t.WorkerId!.Value).ToHashSet());

        // Idle past the timeout with nothing waiting: every one drained and given back, its process gone.
        var after = await Eventually.ValueAsync(() => client.ListWorkersAsync(Token), w => w.All(x => x.Status == WorkerState.Stopped),
            TimeSpan.FromSeconds(60), "every recruited worker stopped");
        Assert.Equal(4, after.Count);
        await Eventually.ValueAsync(() => Task.FromResult(after.Count(w => IsRunning(w.Pid!.Value, w.Name))), n => n == 0, TimeSpan.FromSeconds(30),
            "every recruited worker's process gone");
        var jobs = await Eventually.ValueAsync(() => JobsAsync(client), j => j.Count(x => x.Action == JobAction.Destroy && x.Status == JobState.Succeeded) == 4,
            TimeSpan.FromSeconds(30), "four destroy jobs succeeded");
        var deploys = jobs.Where(j => j.Action == JobAction.Deploy).ToList();
        Assert.Equal(4, deploys.Count); // never more than the maximum
        Assert.All(deploys, j => Assert.Equal(JobState.Succeeded, j.Status));
        Assert.All(deploys, j => Assert.Contains("its worker registered", j.Log));
        var destroy = jobs.First(j => j.Action == JobAction.Destroy);
        Assert.Contains("idle for", destroy.Log);
        Assert.Contains("asked the worker to drain", destroy.Log);
        Assert.Contains("exited with code 0", destroy.Log);
        Assert.True(File.Exists(Path.Combine(_cluster!.DataDirectory, "workers", destroy.Target + ".log")), "the local worker's log file");
    }

    [Fact]
    public async Task An_idle_worker_is_recycled_to_a_batch_whose_tasks_wait_instead_of_deploying_another()
    {
        using var client = await StartAsync(null, "--max-local-workers", "2", "--idle-timeout", "5m");
        foreach (var batch in new[] { "a", "b" })
            await client.PutRecruiterAsync(new RecruiterSpec { Batch = batch, Rank = 1, Provider = "local", MaximumWorkers = 1, TasksPerWorker = 1, WorkerConcurrency = 2, WorkerPrefetch = batch == "b" ? 1 : 0 }, Token);
        var first = (await client.CreateTasksAsync([Specs.Command("true") with { Batch = "a" }], Token, wait: TimeSpan.FromSeconds(60)))[0];
        Assert.Equal(TaskState.Succeeded, first.Status);

        var second = (await client.CreateTasksAsync([Specs.Command("true") with { Batch = "b" }], Token, wait: TimeSpan.FromSeconds(60)))[0];
        Assert.Equal(TaskState.Succeeded, second.Status);
        Assert.Equal(first.WorkerId, second.WorkerId);
        var worker = (await client.GetWorkerAsync(first.WorkerId!.Value, Token))!;
        Assert.Equal(("b", 2, 1, "local"), (worker.Batch, worker.Concurrency, worker.Prefetch, worker.Provider));
        var jobs = await JobsAsync(client);
        Assert.Single(jobs, j => j.Action == JobAction.Deploy);
        var recycle = Assert.Single(jobs, j => j.Action == JobAction.Recycle);
        Assert.Equal((JobState.Succeeded, worker.Name, "b"), (recycle.Status, recycle.Target, recycle.Batch));
        Assert.Contains($"moved {worker.Name} from batch a (nothing waiting) to batch b", recycle.Log);

        // A worker started by hand moves only if it says it may: two tasks for d take the recycled one and the willing one.
        var byHand = await _cluster!.StartWorkerAsync(1, "--batch", "c", "--name", "hand");
        var willing = await _cluster.StartWorkerAsync(1, "--batch", "c", "--name", "willing", "--recyclable");
        await client.PutRecruiterAsync(new RecruiterSpec { Batch = "d", Rank = 1, Provider = "local", MaximumWorkers = 2, TasksPerWorker = 1 }, Token);
        var third = await client.CreateTasksAsync([Specs.Command("true") with { Batch = "d" }, Specs.Command("true") with { Batch = "d" }], Token, wait: TimeSpan.FromSeconds(60));
        Assert.All(third, t => Assert.Equal(TaskState.Succeeded, t.Status));
        Assert.Single(await JobsAsync(client), j => j.Action == JobAction.Deploy);
        var workers = await client.ListWorkersAsync(Token);
        Assert.Equal("c", workers.Single(w => w.Name == "hand").Batch);
        Assert.Equal("d", workers.Single(w => w.Name == "willing").Batch);
        Assert.True(workers.Single(w => w.Name == "willing").Recyclable);
        Assert.Null(workers.Single(w => w.Name == "willing").Provider);

        // Deleting a batch deletes its recruiters.
        using var http = _cluster.Http(_cluster.AdminToken);
        var deleted = await http.DeleteAsync("api/batches/a", Token);
        Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
        Assert.DoesNotContain(await client.ListRecruitersAsync(Token), r => r.Batch == "a");
        GC.KeepAlive(byHand);
        GC.KeepAlive(willing);
    }

    [Theory]
    [InlineData("""{"providers": [{"name": "a", "deploy": "echo {hots}"}]}""", "providers[0].deploy: {hots} is not a placeholder")]
    [InlineData("""{"providers": [{"name": "a", "deploy": "x", "flavors": [{"name": "f", "memory": "lots"}]}]}""", "providers[0].flavors[0].memory: 'lots' is not a size")]
    [InlineData("""{"providers": [{"name": "local", "deploy": "x"}]}""", "providers[0].name: 'local' is named twice")]
    [InlineData("""{"providers": [{"name": "a", "deploy": "ssh {host} x"}]}""", "providers[0].hosts must list hosts")]
    [InlineData("""{"providers": [{"name": "a", "deploy": "x", "colour": "red"}]}""", "colour")]
    public async Task A_mistake_in_the_providers_file_stops_the_server_naming_the_field(string file, string expected)
    {
        var path = Path.Combine(_directory, "bad.json");
        await File.WriteAllTextAsync(path, file, Token);
        var (code, output) = await DroverProcess.RunAsync(["server", "--port", "0", "--data", Path.Combine(_directory, "data"), "--providers", path]);
        Assert.Equal(2, code);
        Assert.Contains(expected, output);
    }

    [Theory]
    [InlineData("--max-local-workers", "-1", "--max-local-workers must not be negative")]
    [InlineData("--idle-timeout", "0s", "--idle-timeout must be longer than zero")]
    [InlineData("--deploy-timeout", "soon", "--deploy-timeout: 'soon' is not a duration")]
    [InlineData("--public-url", "ftp://example", "--public-url must be an http(s) URL")]
    public async Task A_bad_recruitment_option_stops_the_server_naming_it(string option, string value, string expected)
    {
        var (code, output) = await DroverProcess.RunAsync(["server", "--port", "0", "--data", Path.Combine(_directory, "data"), option, value]);
        Assert.Equal(2, code);
        Assert.Contains(expected, output);
    }

    [Fact]
    public async Task A_recruited_worker_is_kept_while_its_batch_has_tasks_pending_on_requirements()
    {
        using var client = await StartAsync(null, "--max-local-workers", "2", "--idle-timeout", "2s", "--first-task-timeout", "2s");
        await _cluster!.StartWorkerAsync(1, "--batch", "upstream");
        await client.PutRecruiterAsync(new RecruiterSpec { Batch = "x", MaximumWorkers = 1, TasksPerWorker = 1 }, Token);
        var upstream = await client.CreateTaskAsync(Specs.Command("sleep", "6") with { Batch = "upstream" }, Token);
        var first = await client.CreateTaskAsync(Specs.Command("true") with { Batch = "x" }, Token);
        var next = await client.CreateTaskAsync(Specs.Command("true") with { Batch = "x", Requires = [upstream.Id.ToString()] }, Token);

        // The first ends at once; the next waits pending for 6 s, longer than the idle timeout.
        var ended = await client.WaitAllAsync([first.Id, next.Id], Token);
        Assert.All(ended, t => Assert.Equal(TaskState.Succeeded, t.Status));
        Assert.Equal(ended[0].WorkerId, ended[1].WorkerId);
        var jobs = await JobsAsync(client);
        Assert.Single(jobs, j => j.Action == JobAction.Deploy);
        Assert.DoesNotContain(jobs, j => j.Action == JobAction.Destroy && j.Created < ended.Max(t => t.Completed!.Value));
        // With nothing left, it goes.
        await Eventually.ValueAsync(() => JobsAsync(client), j => j.Any(x => x.Action == JobAction.Destroy && x.Status == JobState.Succeeded),
            TimeSpan.FromSeconds(60), "the worker given back once the batch is done");
    }

    [Fact]
    public async Task A_command_provider_whose_deploy_fails_shows_failed_jobs_with_their_log_and_backs_off()
    {
        using var client = await StartAsync("""
            {"providers": [{"name": "pool", "hosts": ["node1", "node2"],
              "deploy": "echo connecting to {host} as {name}; echo 'ssh: connect to host {host} port 22: No route to host' >&2; exit 255",
              "flavors": [{"name": "c2", "cpus": 2, "memory": "4GB", "cost": 0.1}, {"name": "c8", "cpus": 8, "memory": "32GB", "cost": 0.4, "region": "eu"}]}]}
            """);
        await OneTaskWaitsForAsync(client, new RecruiterSpec { Provider = "pool", Flavor = "auto:cpus>=4", MaximumWorkers = 3 });

        var jobs = await Eventually.ValueAsync(() => JobsAsync(client), j => j.Count(x => x.Status == JobState.Failed) >= 2, TimeSpan.FromSeconds(60),
            "two failed deploys");
        // Backed off: after a failure the recruiter waits 5 s, then 10 s, ..., instead of trying every second.
        Assert.InRange(jobs.Count, 2, 3);
        var failed = jobs.Last(j => j.Status == JobState.Failed);
        Assert.Equal((JobAction.Deploy, "pool", "x"), (failed.Action, failed.Provider, failed.Batch));
        Assert.Equal("the deploy command exited with code 255", failed.Reason);
        Assert.Contains("flavor c8", failed.Log);
        Assert.Contains("No route to host", failed.Log);
        Assert.Contains($"connecting to node1 as {failed.Target}", failed.Log);
        var recruiter = Assert.Single(await Eventually.ValueAsync(() => client.ListRecruitersAsync(Token), r => r.Single().DeployFailures >= 2,
            TimeSpan.FromSeconds(10), "the recruiter counts two failures"));
        Assert.NotNull(recruiter.NextDeploy);
        Assert.Equal(failed, await client.GetJobAsync(failed.Id, Token));
        var (exitCode, output) = await _cluster!.CliAsync("job", failed.Id.ToString());
        Assert.Equal(1, exitCode);
        Assert.Contains("No route to host", output);
        (_, output) = await _cluster.CliAsync("jobs", "--status", "failed");
        Assert.Contains("the deploy command exited with code 255", output);
        (_, output) = await _cluster.CliAsync("flavors");
        Assert.Contains("c8", output);
    }

    [Fact]
    public async Task A_deployed_worker_that_never_registers_is_given_up_and_given_back_with_its_handle()
    {
        using var client = await StartAsync("""
            {"providers": [{"name": "slurm", "deploy": "echo 4242; echo submitted {name} for {server} >&2", "destroy": "echo scancel {handle}", "deploy_timeout": "2s"}]}
            """, "--public-url", "http://drover.example:5000");
        await OneTaskWaitsForAsync(client, new RecruiterSpec { Provider = "slurm" });

        var jobs = await Eventually.ValueAsync(() => JobsAsync(client), j => j.Any(x => x.Status == JobState.Failed), TimeSpan.FromSeconds(60), "a failed deploy");
        var failed = jobs.Single(j => j.Status == JobState.Failed);
        Assert.Equal("its worker did not register within 2s", failed.Reason);
        Assert.Contains("waiting for its worker to register", failed.Log);
        Assert.Contains($"submitted {failed.Target} for http://drover.example:5000/", failed.Log); // --public-url, not the listening address
        Assert.Contains("$ echo scancel 4242", failed.Log);
        Assert.Contains("\nscancel 4242\n", failed.Log);
    }

    [Fact]
    public async Task A_command_provider_runs_a_worker_as_ssh_would_with_a_token_made_for_it_and_destroys_it_when_idle()
    {
        using var client = await StartAsync("""
            {"providers": [{"name": "pool", "deploy": "exec DROVER worker --server {server} --token {token} --name {name} --batch {batch} --concurrency {concurrency}",
              "destroy": "echo gave back {name} on {worker_id}", "max_workers": 1}]}
            """, "--idle-timeout", "2s");
        await client.PutRecruiterAsync(new RecruiterSpec { Batch = "x", Rank = 1, Provider = "pool", MaximumWorkers = 5, TasksPerWorker = 1, WorkerConcurrency = 2 }, Token);
        var tasks = await client.CreateTasksAsync([.. Enumerable.Range(0, 4).Select(_ => Specs.Command("sleep", "0.2") with { Batch = "x" })], Token);
        var ended = await client.WaitAllAsync([.. tasks.Select(t => t.Id)], Token);
        Assert.All(ended, t => Assert.Equal(TaskState.Succeeded, t.Status));
        var workerId = Assert.Single(ended.Select(t => t.WorkerId).Distinct()); // the provider's max_workers: 1

        var jobs = await Eventually.ValueAsync(() => JobsAsync(client), j => j.Any(x => x.Action == JobAction.Destroy && x.Status == JobState.Succeeded),
            TimeSpan.FromSeconds(60), "the worker given back");
        var deploy = Assert.Single(jobs, j => j.Action == JobAction.Deploy);
        Assert.Contains("--token \"$DROVER_TOKEN\"", deploy.Log); // the secret itself is never in the command
        var destroy = Assert.Single(jobs, j => j.Action == JobAction.Destroy);
        Assert.Contains("asked the worker to drain", destroy.Log);
        Assert.Contains("the worker stopped", destroy.Log);
        Assert.Contains($"gave back {deploy.Target} on {workerId}", destroy.Log);
        Assert.Equal(WorkerState.Stopped, (await client.GetWorkerAsync(workerId!.Value, Token))!.Status);
    }

    [Fact]
    public async Task A_token_made_for_one_deployed_worker_registers_that_worker_only()
    {
        using var client = await StartAsync("""
            {"providers": [{"name": "pool", "deploy": "exec DROVER worker --server {server} --name someone-else --batch {batch}"}]}
            """);
        await OneTaskWaitsForAsync(client, new RecruiterSpec { Provider = "pool" });
        var jobs = await Eventually.ValueAsync(() => JobsAsync(client), j => j.Any(x => x.Status == JobState.Failed), TimeSpan.FromSeconds(60), "the deploy failed");
        var failed = jobs.First(j => j.Status == JobState.Failed);
        Assert.StartsWith("the deploy command exited with code", failed.Reason);
        Assert.Contains($"registers under that name only (--name {failed.Target})", failed.Log);
        Assert.DoesNotContain(await client.ListWorkersAsync(Token), w => w.Name == "someone-else");
    }

    [Fact]
    public async Task A_job_running_when_the_server_is_killed_is_marked_failed_and_its_worker_reconciled_at_restart()
    {
        using var client = await StartAsync("""
            {"providers": [{"name": "slow", "deploy": "sleep 20", "destroy": "echo cleaned up {name}", "deploy_timeout": "4s"}]}
            """);
        await OneTaskWaitsForAsync(client, new RecruiterSpec { Provider = "slow" });
        var running = await Eventually.ValueAsync(() => JobsAsync(client), j => j.Any(x => x.Status == JobState.Running), TimeSpan.FromSeconds(30), "a running deploy");
        await _cluster!.KillServerAsync();
        await _cluster.StartServerAsync();

        var job = await Eventually.ValueAsync(() => client.GetJobAsync(running[0].Id, Token), j => j?.Status == JobState.Failed, TimeSpan.FromSeconds(30), "the job failed");
        Assert.Equal("the server stopped while this job ran; its worker is reconciled", job!.Reason);
        var jobs = await Eventually.ValueAsync(() => JobsAsync(client), j => j.Any(x => x.Action == JobAction.Destroy && x.Status == JobState.Succeeded),
            TimeSpan.FromSeconds(30), "the deployment given back");
        var destroy = jobs.Single(x => x.Action == JobAction.Destroy);
        Assert.Equal(job.Target, destroy.Target);
        Assert.Contains("did not register within 4s", destroy.Log);
        Assert.Contains($"cleaned up {job.Target}", destroy.Log);
    }

    [Fact]
    public async Task The_readme_walk_through_recruits_three_workers_for_a_batch_and_gives_them_back()
    {
        await StartAsync(null, "--max-local-workers", "3", "--idle-timeout", "3s");
        var cluster = _cluster!;
        var (code, output) = await cluster.CliAsync("recruiter", "add", "nightly", "--maximum-workers", "3", "--tasks-per-worker", "20", "--worker-concurrency", "2");
        Assert.True(code == 0, output);
        Assert.Contains("recruiter nightly/1: up to 3 local worker(s), one per 20 waiting task(s)", output);
        var file = Path.Combine(_directory, "nightly.jsonl");
        await File.WriteAllLinesAsync(file, Enumerable.Repeat("""{"command": ["sleep", "0.2"], "batch": "nightly"}""", 100), Token);
        (code, output) = await cluster.CliAsync("submit", "--file", file);
        Assert.True(code == 0, output);

        using var client = cluster.Client();
        await Eventually.ValueAsync(() => JobsAsync(client), j => j.Count(x => x.Action == JobAction.Deploy && x.Status == JobState.Succeeded) == 3,
            TimeSpan.FromSeconds(60), "three deploys succeeded");
        (_, output) = await cluster.CliAsync("workers");
        Assert.Equal(3, output.Split('\n').Count(l => l.StartsWith("nightly-local-", StringComparison.Ordinal) && l.Contains("local/local", StringComparison.Ordinal)));
        await Eventually.ValueAsync(() => JobsAsync(client), j => j.Count(x => x.Action == JobAction.Destroy && x.Status == JobState.Succeeded) == 3,
            TimeSpan.FromSeconds(120), "three destroys succeeded");
        (code, output) = await cluster.CliAsync("jobs");
        Assert.Equal((3, 3), (output.Split('\n').Count(l => l.Contains(" deploy ", StringComparison.Ordinal)), output.Split('\n').Count(l => l.Contains(" destroy ", StringComparison.Ordinal))));
        var destroy = (await JobsAsync(client)).First(j => j.Action == JobAction.Destroy);
        (code, output) = await cluster.CliAsync("job", destroy.Id.ToString());
        Assert.True(code == 0, output);
        Assert.Contains("idle for", output);
        (_, output) = await cluster.CliAsync("recruiter", "list");
        Assert.Contains("nightly", output);
        (code, output) = await cluster.CliAsync("recruiter", "rm", "nightly", "1");
        Assert.True(code == 0, output);
        Assert.Empty(await client.ListRecruitersAsync(Token));
        (code, output) = await cluster.CliAsync("recruiter", "rm", "nightly", "1");
        Assert.NotEqual(0, code);
        Assert.Contains("no recruiter at rank 1", output);

        // A prefetch is auto or a number, for a recruiter's workers as for a worker.
        (code, output) = await cluster.CliAsync("recruiter", "add", "nightly", "--worker-prefetch", "lots");
        Assert.Equal((2, true), (code, output.Contains("--worker-prefetch must be auto or a number of tasks, not 'lots'", StringComparison.Ordinal)));
        (code, output) = await cluster.CliAsync("worker", "--prefetch", "-3");
        Assert.Equal((2, true), (code, output.Contains("--prefetch must be auto or a number of tasks, not '-3'", StringComparison.Ordinal)));
        Assert.Empty(await client.ListRecruitersAsync(Token));
        // The channel is on or off, for a worker as for a server.
        (code, output) = await cluster.CliAsync("worker", "--channel", "maybe");
        Assert.Equal((2, true), (code, output.Contains("--channel must be on or off, not 'maybe'", StringComparison.Ordinal)));
        (code, output) = await cluster.CliAsync("server", "--worker-channel", "maybe", "--port", "0", "--data", cluster.DataDirectory);
        Assert.Equal((2, true), (code, output.Contains("--worker-channel must be on or off, not 'maybe'", StringComparison.Ordinal)));
    }
}
