using System.Net;
using System.Net.Http.Json;
using Drover.IntegrationTests.Infrastructure;
using Drover.Model;

namespace Drover.IntegrationTests;

/// <summary>
/// Delayed tasks on a real server and worker: pending until their time, then run; the time survives
/// a kill -9 of the server; bad times refused naming the field.
/// </summary>
public sealed class DelayedTaskTests : IAsyncLifetime
{
    private readonly DroverCluster _cluster = new();
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        await _cluster.StartServerAsync();
        await _cluster.StartWorkerAsync();
    }

    public ValueTask DisposeAsync() => _cluster.DisposeAsync();

    [Fact]
    public async Task A_task_submitted_in_2s_is_pending_until_then_and_then_runs()
    {
        var (exit, output) = await _cluster.CliAsync("submit", "--in", "2s", "--", "echo", "later");
        Assert.Equal(0, exit);
        var id = Guid.Parse(output.Trim());
        using var client = _cluster.Client();
        var task = (await client.GetTaskAsync(id, Token))!;
        Assert.Equal(TaskState.Pending, task.Status);
        Assert.InRange(task.RunAfter!.Value - task.Submitted, TimeSpan.FromSeconds(1.9), TimeSpan.FromSeconds(2.1));
        var done = (await client.WaitAllAsync([id], Token))[0];
        Assert.Equal(TaskState.Succeeded, done.Status);
        // Not before its time (the clocks are the same machine's).
        Assert.True(done.Started >= task.RunAfter, $"started {done.Started:O}, run_after {task.RunAfter:O}");
        Assert.Equal("later\n", (await client.GetTaskAsync(id, Token))!.Stdout);
        // It can be found by its time.
        (exit, output) = await _cluster.CliAsync("query", "{\"run_after\": {\"$exists\": true}}", "--keys", "run_after");
        Assert.Contains(id.ToString(), output);
    }

    [Fact]
    public async Task A_delayed_task_survives_a_kill_9_of_the_server_and_runs_once_its_time_has_come()
    {
        using var client = _cluster.Client();
        var at = DateTimeOffset.UtcNow.AddSeconds(3);
        var (exit, output) = await _cluster.CliAsync("submit", "--run-after", at.ToString("O"), "--", "echo", "after the crash");
        Assert.Equal(0, exit);
        var id = Guid.Parse(output.Trim());
        await _cluster.KillServerAsync();
        await Task.Delay(TimeSpan.FromSeconds(4), Token); // its time passes while no server runs
        await _cluster.StartServerAsync();
        using var again = _cluster.Client();
        var done = (await again.WaitAllAsync([id], Token))[0];
        Assert.Equal(TaskState.Succeeded, done.Status);
        Assert.Equal(1, done.Attempts);
    }

    [Fact]
    public async Task Bad_times_are_refused_naming_the_field()
    {
        using var http = _cluster.Http(_cluster.AdminToken);
        var cases = new (object Body, string Field)[]
        {
            (new { command = new[] { "true" }, run_after = "tomorrow" }, "run_after"),
            (new { command = new[] { "true" }, run_after = "2026-12-24T18:00:00Z", @in = "5m" }, "run_after"),
            (new { command = new[] { "true" }, @in = "soon" }, "in"),
            (new { command = new[] { "true" }, @in = "-5m" }, "in"),
            (new { command = new[] { "true" }, @in = "400d" }, "in"),
        };
        foreach (var (body, field) in cases)
        {
            using var response = await http.PostAsJsonAsync("api/tasks", body, Token);
            var text = await response.Content.ReadAsStringAsync(Token);
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, text);
            Assert.Contains($"\"{field}\"", text);
        }
        using var client = _cluster.Client();
        Assert.Empty(await client.ListTasksAsync(new Storage.TaskListFilter(), Token));
    }
}
