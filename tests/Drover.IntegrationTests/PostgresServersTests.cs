using System.Text.Json;
using Drover.Contracts;
using Drover.IntegrationTests.Infrastructure;
using Drover.Model;
using Drover.Tests.Shared;

namespace Drover.IntegrationTests;

[CollectionDefinition("postgres")]
public sealed class PostgresCollection : ICollectionFixture<PostgresServer>;

/// <summary>Two Drover servers on one PostgreSQL database, with workers on both.</summary>
[Collection("postgres")]
public sealed class PostgresServersTests(PostgresServer postgres) : IAsyncLifetime
{
    private DroverCluster _first = null!;
    private DroverCluster _second = null!;
    private string _database = "";
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _database = await postgres.CreateDatabaseAsync();
        _first = new DroverCluster(store: "postgres", extraServerArgs: ["--postgres", _database]);
        _second = new DroverCluster(store: "postgres", dataDirectory: _first.DataDirectory, extraServerArgs: ["--postgres", _database]);
        await _first.StartServerAsync();
        await _second.StartServerAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await _second.DisposeAsync();
        await _first.DisposeAsync();
        await postgres.DropDatabaseAsync(_database);
    }

    [Fact]
    public async Task Both_servers_fire_a_schedule_and_each_firing_is_one_task()
    {
        await _first.StartWorkerAsync(concurrency: 4);
        using var client = _first.Client();
        using var other = _second.Client();
        // Made through one server; the other reads it within its reread period, and both fire from then on.
        await client.CreateScheduleAsync(new ScheduleSpec
        {
            Name = "shared", Cron = "* * * * * *", Overlap = "allow",
            Task = JsonSerializer.SerializeToElement(new { command = new[] { "true" }, batch = "shared-beats" }),
        }, Token);
        Assert.Equal("shared", (await other.GetScheduleAsync("shared", Token))!.Name);
        // Poke the second server's scheduler by changing the schedule through it (no waiting for its reread).
        await other.UpdateScheduleAsync("shared", new ScheduleSpec { CatchUp = "once" }, Token);
        await Task.Delay(TimeSpan.FromSeconds(5), Token);
        await client.ScheduleActionAsync("shared", "pause", Token);
        await Task.Delay(1500, Token);
        var firings = (await client.ListTasksAsync(new Storage.TaskListFilter { Batch = "shared-beats", Limit = 1000 }, Token))
            .Select(t => t.Env!["DROVER_SCHEDULED_FOR"]).ToList();
        Assert.True(firings.Count >= 4, $"{firings.Count} firings");
        Assert.Equal(firings.Count, firings.Distinct().Count());
        var times = firings.Select(f => DateTimeOffset.Parse(f, System.Globalization.CultureInfo.InvariantCulture)).Order().ToList();
        Assert.Equal((int)(times[^1] - times[0]).TotalSeconds + 1, times.Count);
    }

    [Fact]
    public async Task A_lease_waiting_on_one_server_is_woken_by_a_task_submitted_through_the_other()
    {
        using var first = _first.Client();
        using var second = _second.Client();
        var worker = (await second.RegisterWorkerAsync(new WorkerRegistration { Name = "by-hand", Concurrency = 1 }, Token)).Worker.Id;
        var lease = second.LeaseAsync(worker, new LeaseRequest { Max = 1, Wait = 50 }, Token);
        var task = await first.CreateTaskAsync(Specs.Command("true"), Token);
        var leased = Assert.Single(await lease);
        Assert.Equal(task.Id, leased.TaskId);

        // And a wait on the first server is answered by a report to the second.
        var wait = first.WaitAsync([task.Id], TimeSpan.FromSeconds(50), Token);
        await second.ReportAsync(worker, new WorkerReport { Events = [new ReportEvent { Type = ReportEventType.Finished, ExecutionId = leased.ExecutionId, ExitCode = 0 }] }, Token);
        var answer = await wait;
        Assert.Equal(TaskState.Succeeded, Assert.Single(answer.Done).Status);
    }

    [Fact]
    public async Task A_follower_on_one_server_sees_tasks_and_output_of_work_done_through_the_other()
    {
        await _first.StartWorkerAsync(concurrency: 2);
        var group = $"g-{Guid.NewGuid():N}";
        using var byGroup = await EventSocket.ConnectAsync(_second, $"group={group}");
        using var first = _first.Client();
        var gate = Path.Combine(Path.GetTempPath(), $"drover-gate-{Guid.NewGuid():N}");
        var task = await first.CreateTaskAsync(Specs.Shell($"while [ ! -e {gate} ]; do sleep 0.05; done; echo far; sleep 1.2; echo away") with { Group = group }, Token);
        using var byId = await EventSocket.ConnectAsync(_second, $"task={task.Id}");
        await File.WriteAllTextAsync(gate, "", Token);
        try
        {
            var (seen, _, _) = await byGroup.FollowAsync(task.Id);
            Assert.Equal("add", seen[0].Kind);
            Assert.Equal("succeeded", seen[^1].Status);
            var (_, _, stdout) = await byId.FollowAsync(task.Id);
            Assert.Equal("far\naway\n", stdout);
        }
        finally
        {
            File.Delete(gate);
        }
    }

    [Fact]
    public async Task One_of_the_servers_recruits_and_the_other_takes_over_when_it_is_killed()
    {
        using var client = _first.Client();
        await client.PutRecruiterAsync(new RecruiterSpec { Batch = "recruited", MaximumWorkers = 2, TasksPerWorker = 1 }, Token);
        var first = await client.CreateTasksAsync([.. Enumerable.Range(0, 10).Select(_ => Specs.Command("sleep", "0.3") with { Batch = "recruited" })], Token);
        var ended = await client.WaitAllAsync([.. first.Select(t => t.Id)], Token);
        Assert.All(ended, t => Assert.Equal(TaskState.Succeeded, t.Status));
        // Both servers look at the recruiter; one acts, so the batch got two workers, not four.
        var deploys = (await client.ListJobsAsync(null, 100, Token)).Where(j => j.Action == JobAction.Deploy).ToList();
        Assert.Equal(2, deploys.Count);
        Assert.All(deploys, j => Assert.Equal(JobState.Succeeded, j.Status));
        var (leader, other) = _first.Server!.Output.Contains("Deploying worker", StringComparison.Ordinal) ? (_first, _second) : (_second, _first);
        Assert.DoesNotContain("Deploying worker", other.Server!.Output, StringComparison.Ordinal);

        // The recruiting server dies with its workers; the other takes the lead, gives back what the
        // dead one started once they are seen lost, and recruits anew for what waits.
        await leader.KillServerAsync();
        using var survivor = other.Client();
        var second = await survivor.CreateTasksAsync([.. Enumerable.Range(0, 4).Select(_ => Specs.Command("true") with { Batch = "recruited" })], Token);
        ended = await survivor.WaitAllAsync([.. second.Select(t => t.Id)], Token);
        Assert.All(ended, t => Assert.Equal(TaskState.Succeeded, t.Status));
        Assert.Contains("Deploying worker", other.Server!.Output, StringComparison.Ordinal);
        var jobs = await Eventually.ValueAsync(() => survivor.ListJobsAsync(null, 100, Token),
            j => j.Count(x => x.Action == JobAction.Destroy && x.Status == JobState.Succeeded) >= 2, TimeSpan.FromSeconds(60), "the dead server's workers given back");
        Assert.All(deploys, d => Assert.Contains(jobs, j => j.Action == JobAction.Destroy && j.Target == d.Target && j.Log!.Contains("no process of this server's", StringComparison.Ordinal)));
    }
}
