using System.Net;
using Drover.Client;
using Drover.Contracts;
using Drover.IntegrationTests.Infrastructure;
using Drover.Model;

namespace Drover.IntegrationTests;

/// <summary>The worker protocol spoken by hand over HTTP, against a server with no workers of its own.</summary>
public sealed class WorkerProtocolTests : IAsyncLifetime
{
    private readonly DroverCluster _cluster = new(store: "memory", leaseTimeout: "1s");
    private DroverClient _client = null!;
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        await _cluster.StartServerAsync();
        _client = _cluster.Client();
    }

    public async ValueTask DisposeAsync()
    {
        _client.Dispose();
        await _cluster.DisposeAsync();
    }

    private async Task<Guid> RegisterAsync() =>
        (await _client.RegisterWorkerAsync(new WorkerRegistration { Name = "by-hand", Concurrency = 1 }, Token)).Worker.Id;

    [Fact]
    public async Task A_waiting_lease_is_woken_by_a_new_task()
    {
        var worker = await RegisterAsync();
        var lease = _client.LeaseAsync(worker, new LeaseRequest { Max = 5, Wait = 60 }, Token);
        var task = await _client.CreateTaskAsync(Specs.Command("true"), Token);
        var leased = await lease;
        Assert.Equal([task.Id], leased.Select(l => l.TaskId));
    }

    [Fact]
    public async Task A_lease_without_wait_answers_at_once_even_when_empty()
    {
        var worker = await RegisterAsync();
        Assert.Empty(await _client.LeaseAsync(worker, new LeaseRequest { Max = 5, Wait = 0 }, Token));
    }

    [Fact]
    public async Task One_report_carries_many_events()
    {
        var worker = await RegisterAsync();
        var created = await _client.CreateTasksAsync([Specs.Command("a"), Specs.Command("b")], Token);
        var leased = await _client.LeaseAsync(worker, new LeaseRequest { Max = 2 }, Token);
        var events = leased.SelectMany(l => new[]
        {
            new ReportEvent { Type = ReportEventType.Started, ExecutionId = l.ExecutionId },
            new ReportEvent { Type = ReportEventType.Output, ExecutionId = l.ExecutionId, Stdout = "part 1, ", StdoutBytes = 8 },
            new ReportEvent { Type = ReportEventType.Finished, ExecutionId = l.ExecutionId, ExitCode = 0, Stdout = "part 1, part 2", StdoutBytes = 14 },
        }).ToList();
        var result = await _client.ReportAsync(worker, new WorkerReport { Events = events }, Token);
        Assert.Empty(result.Stale);
        foreach (var task in created)
        {
            var record = await _client.GetTaskAsync(task.Id, Token);
            Assert.Equal(TaskState.Succeeded, record!.Status);
            Assert.Equal("part 1, part 2", record.Stdout);
        }
    }

    [Fact]
    public async Task A_silent_worker_loses_its_lease_and_another_worker_gets_the_task()
    {
        var silent = await RegisterAsync();
        var task = await _client.CreateTaskAsync(Specs.Command("true"), Token);
        var first = Assert.Single(await _client.LeaseAsync(silent, new LeaseRequest { Max = 1 }, Token));

        // The second worker long-polls; the task comes back to the queue when the first lease expires.
        var healthy = await RegisterAsync();
        var second = Assert.Single(await _client.LeaseAsync(healthy, new LeaseRequest { Max = 1, Wait = 60 }, Token));
        Assert.Equal(task.Id, second.TaskId);
        Assert.Equal(2, second.Attempt);

        var late = await _client.ReportAsync(silent, new WorkerReport
        {
            Events = [new ReportEvent { Type = ReportEventType.Finished, ExecutionId = first.ExecutionId, ExitCode = 0 }],
        }, Token);
        Assert.Equal([first.ExecutionId], late.Stale);
        var executions = await _client.ListExecutionsAsync(task.Id, Token);
        Assert.Equal([ExecutionState.Lost, ExecutionState.Assigned], executions.Select(e => e.Status));
        Assert.Equal(WorkerState.Running, (await _client.GetWorkerAsync(silent, Token))!.Status);
    }

    [Fact]
    public async Task A_worker_started_with_a_batch_runs_only_that_batch()
    {
        await _cluster.StartWorkerAsync(1, "--batch", "mine");
        var other = await _client.CreateTaskAsync(Specs.Command("true") with { Batch = "other" }, Token);
        var mine = await _client.CreateTaskAsync(Specs.Command("echo", "mine") with { Batch = "mine" }, Token);
        var ended = Assert.Single(await _client.WaitAllAsync([mine.Id], Token));
        Assert.Equal(TaskState.Succeeded, ended.Status);
        Assert.Equal(TaskState.Queued, (await _client.GetTaskAsync(other.Id, Token))!.Status);
    }

    [Theory]
    [InlineData("lease", """{"max": -1}""", "max")]
    [InlineData("lease", """{"max": 1, "wait": -1}""", "wait")]
    [InlineData("lease", """{"max": 1, "size": 2}""", "size")]
    [InlineData("report", """{"events": [{"type": "exploded", "execution_id": "01a2001d-5277-7489-94c7-ca38ad2ef500"}]}""", "events[0].type")]
    [InlineData("report", """{"events": [{"type": "finished"}]}""", "events[0]")]
    [InlineData("report", """{"state": "sleeping"}""", "state")]
    public async Task Bad_worker_protocol_bodies_name_the_field(string call, string body, string field)
    {
        var worker = await RegisterAsync();
        using var http = _cluster.Http(_cluster.WorkerToken);
        var response = await http.PostAsync($"api/workers/{worker}/{call}",
            new StringContent(body, System.Text.Encoding.UTF8, "application/json"), Token);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await System.Net.Http.Json.HttpContentJsonExtensions.ReadFromJsonAsync<System.Text.Json.JsonElement>(response.Content, Token);
        Assert.True(problem.GetProperty("errors").EnumerateObject().Any(e => e.Name.StartsWith(field, StringComparison.Ordinal)),
            $"expected an error for '{field}' in {problem}");
    }

    [Fact]
    public async Task An_unknown_worker_is_told_to_register_again()
    {
        var error = await Assert.ThrowsAsync<DroverApiException>(() => _client.LeaseAsync(Guid.CreateVersion7(), new LeaseRequest(), Token));
        Assert.Equal(HttpStatusCode.NotFound, error.Status);
        error = await Assert.ThrowsAsync<DroverApiException>(() => _client.ReportAsync(Guid.CreateVersion7(), new WorkerReport(), Token));
        Assert.Equal(HttpStatusCode.NotFound, error.Status);
    }
}
