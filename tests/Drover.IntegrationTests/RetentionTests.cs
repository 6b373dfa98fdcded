using System.Diagnostics;
using System.Net.Http.Json;
using Drover.IntegrationTests.Infrastructure;
using Drover.Model;

namespace Drover.IntegrationTests;

/// <summary><c>--keep-finished</c>: ended tasks older than that are purged in the background; live ones stay.</summary>
public sealed class RetentionTests : IAsyncLifetime
{
    private readonly DroverCluster _cluster = new(store: "sqlite", extraServerArgs: ["--keep-finished", "2s", "--keep-workers", "2s"]);
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        await _cluster.StartServerAsync();
        await _cluster.StartWorkerAsync();
    }

    public async ValueTask DisposeAsync() => await _cluster.DisposeAsync();

    [Fact]
    public async Task Stopped_workers_are_purged_after_keep_workers_and_hidden_by_the_cli_meanwhile()
    {
        using var http = _cluster.Http(_cluster.WorkerToken);
        var registered = await http.PostAsJsonAsync("api/workers", new { name = "gone-soon", concurrency = 1, batch = "nothing-here" }, Token);
        var id = (await registered.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>(Token)).GetProperty("worker").GetProperty("id").GetGuid();
        (await http.PostAsJsonAsync($"api/workers/{id}/report", new { events = Array.Empty<object>(), state = "stopped" }, Token)).EnsureSuccessStatusCode();

        using var client = _cluster.Client();
        var clock = Stopwatch.StartNew();
        while (await client.GetWorkerAsync(id, Token) is not null)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), "the stopped worker was not purged");
            await Task.Delay(200, Token);
        }
        // The running worker stays.
        Assert.Contains(await client.ListWorkersAsync(Token), w => w.Status == WorkerState.Running);
    }

    [Fact]
    public async Task Tasks_that_ended_longer_ago_than_the_retention_are_purged_and_live_ones_kept()
    {
        using var client = _cluster.Client();
        var done = await client.CreateTaskAsync(Specs.Command("true"), Token);
        await client.WaitAllAsync([done.Id], Token);
        var running = await client.CreateTaskAsync(Specs.Command("sleep", "30"), Token);

        // The purge runs every second here (a tenth of the retention, at least a second); allow for a loaded machine.
        var clock = Stopwatch.StartNew();
        while (await client.GetTaskAsync(done.Id, Token) is not null)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), "the ended task was not purged");
            await Task.Delay(200, Token);
        }
        var live = await client.GetTaskAsync(running.Id, Token);
        Assert.NotNull(live);
        Assert.NotEqual(TaskState.Succeeded, live.Status);
    }

    [Fact]
    public async Task Recruitment_jobs_made_longer_ago_than_the_retention_are_purged()
    {
        using var client = _cluster.Client();
        // The worker there takes nothing for now, so the batch waits and its recruiter deploys.
        var worker = (await client.ListWorkersAsync(Token)).Single(w => w.Provider is null && w.Status == WorkerState.Running);
        await client.UpdateWorkerAsync(worker.Id, new Contracts.WorkerSettings { Paused = true }, Token);
        try
        {
            await client.PutRecruiterAsync(new Contracts.RecruiterSpec { Batch = "kept", MaximumWorkers = 1, TasksPerWorker = 1 }, Token);
            var task = (await client.CreateTasksAsync([Specs.Command("true") with { Batch = "kept" }], Token)).Single();
            // Seen while it deploys: once it has ended, it may be purged before a look (2 s on a busy machine).
            var deploy = Assert.Single(await Eventually.ValueAsync(() => client.ListJobsAsync(null, 10, Token), jobs => jobs.Count > 0,
                TimeSpan.FromSeconds(60), "the recruiter's deploy job"));
            Assert.Equal(TaskState.Succeeded, (await client.WaitAllAsync([task.Id], Token)).Single().Status);
            await Eventually.ValueAsync(() => client.GetJobAsync(deploy.Id, Token), j => j is null, TimeSpan.FromSeconds(60), "the deploy job purged");
        }
        finally
        {
            await client.UpdateWorkerAsync(worker.Id, new Contracts.WorkerSettings { Paused = false }, Token);
        }
    }
}
