using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Drover.Contracts;
using Drover.IntegrationTests.Infrastructure;
using Drover.Model;

namespace Drover.IntegrationTests;

/// <summary>
/// The admin calls on a real server with real worker processes: info, ping (each worker answers a task
/// of its own), a test sleep, the log level changed at run time in every process, stopping the
/// workers or everything, bad input, and an admin handler that runs nothing but its own orders.
/// </summary>
public sealed class AdminTests : IAsyncLifetime
{
    private readonly DroverCluster _cluster = new(leaseTimeout: "3s");
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        await _cluster.StartServerAsync();
        await _cluster.StartWorkerAsync(2, "--name", "first");
        await _cluster.StartWorkerAsync(2, "--name", "second");
    }

    public ValueTask DisposeAsync() => _cluster.DisposeAsync();

    [Fact]
    public async Task Info_and_ping_show_every_worker_and_a_paused_one_is_named_as_not_answering()
    {
        using var client = _cluster.Client();
        var info = await client.AdminInfoAsync(Token);
        Assert.Equal(("sqlite", "information"), (info.Server.Store, info.Server.LogLevel));
        Assert.Equal(2, info.Workers["running"]);
        Assert.Equal(["first", "second"], info.Connected.Select(w => w.Name));
        Assert.All(info.Connected, w => Assert.Equal(2, w.Concurrency));

        var pings = await client.PingAsync(cancellationToken: Token);
        Assert.Equal(["first", "second"], pings.Select(p => p.Name));
        Assert.All(pings, p => Assert.True(p.Error is null && p.RoundTripMs > 0, JsonSerializer.Serialize(p)));

        var second = info.Connected.Single(w => w.Name == "second").Id;
        await client.UpdateWorkerAsync(second, new WorkerSettings { Paused = true }, Token);
        await WaitForAsync(async () => (await client.GetWorkerAsync(second, Token))!.Status == WorkerState.Paused);
        var (exit, output) = await _cluster.CliAsync("admin", "ping", "--timeout", "3s");
        Assert.True(exit == 1, output);
        Assert.Contains("paused: takes no new work", output, StringComparison.Ordinal);
        Assert.Matches(@"first\s+\S+\s+[\d.]+ ms", output);

        // The pings are tasks in the task database, in batch drover.admin.
        info = await client.AdminInfoAsync(Token);
        Assert.True(info.Tasks["succeeded"] >= 3, JsonSerializer.Serialize(info.Tasks));
        (exit, output) = await _cluster.CliAsync("admin", "info");
        Assert.True(exit == 0, output);
        Assert.Contains("log level information", output, StringComparison.Ordinal);
        Assert.Contains("workers:  1 paused, 1 running", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_worker_whose_every_slot_is_busy_is_reported_as_not_answering_and_its_ping_is_canceled()
    {
        using var client = _cluster.Client();
        var sleeps = await client.CreateTasksAsync([.. Enumerable.Range(0, 4).Select(_ => Specs.Command("sleep", "30"))], Token);
        await WaitForAsync(async () => (await client.ListWorkersAsync(Token)).Sum(w => w.Running) == 4);

        var pings = await client.PingAsync(TimeSpan.FromSeconds(1), Token);
        Assert.All(pings, p => Assert.Equal(("no answer within 1s", (double?)null), (p.Error, p.RoundTripMs)));
        var query = JsonDocument.Parse("""{"filter": {"batch": "drover.admin", "status": "canceled"}, "count": true}""").RootElement;
        Assert.Equal(2, (await client.QueryAsync(query, Token)).GetProperty("count").GetInt32());
        foreach (var sleep in sleeps) await client.CancelAsync(sleep.Id, Token);
    }

    [Fact]
    public async Task Sleep_runs_a_test_task_on_a_worker_and_the_log_level_changes_in_every_process()
    {
        var (exit, output) = await _cluster.CliAsync("admin", "sleep", "0.5");
        Assert.True(exit == 0, output);
        Assert.Matches(@"sleeps on worker (first|second)", output);
        Assert.Contains("succeeded after", output, StringComparison.Ordinal);

        (exit, output) = await _cluster.CliAsync("admin", "loglevel", "debug");
        Assert.True(exit == 0, output);
        Assert.Contains("server: debug", output, StringComparison.Ordinal);
        Assert.Equal(2, output.Split('\n').Count(l => l.Contains(" debug", StringComparison.Ordinal) && !l.StartsWith("server", StringComparison.Ordinal)));
        // Debug lines now come from the workers (a lease) and the server.
        using var client = _cluster.Client();
        await client.SleepAsync(0, Token);
        await WaitForAsync(() => Task.FromResult(_cluster.Workers.Any(w => w.Output.Contains("Leased 1 task(s)", StringComparison.Ordinal))));
        await WaitForAsync(() => Task.FromResult(_cluster.Server!.Output.Contains("dbug: Drover.", StringComparison.Ordinal)));
        Assert.Equal("debug", (await client.AdminInfoAsync(Token)).Server.LogLevel);

        var back = await client.SetLogLevelAsync("warn", cancellationToken: Token);
        Assert.Equal("warning", back.Level);
        Assert.All(back.Workers, w => Assert.Equal("warning", w.Level));
    }

    [Fact]
    public async Task Bad_admin_input_is_refused_naming_the_field_and_only_the_admin_token_may_call()
    {
        using var http = _cluster.Http(_cluster.AdminToken);
        await AssertInvalidAsync(http.PostAsJsonAsync("api/admin/loglevel", new { level = "loud" }, Token), "level");
        await AssertInvalidAsync(http.PostAsJsonAsync("api/admin/loglevel", new { }, Token), "level");
        await AssertInvalidAsync(http.PostAsJsonAsync("api/admin/loglevel?timeout=forever", new { level = "info" }, Token), "timeout");
        await AssertInvalidAsync(http.PostAsync("api/admin/ping?timeout=-1s", null, Token), "timeout");
        await AssertInvalidAsync(http.PostAsJsonAsync("api/admin/sleep", new { seconds = -1 }, Token), "seconds");
        await AssertInvalidAsync(http.PostAsJsonAsync("api/admin/sleep", new { seconds = 1e9 }, Token), "seconds");
        await AssertInvalidAsync(http.PostAsJsonAsync("api/admin/sleep", new { }, Token), "seconds");
        using var client = _cluster.Client();
        Assert.Equal("information", (await client.AdminInfoAsync(Token)).Server.LogLevel);

        using var worker = _cluster.Http(_cluster.WorkerToken);
        using var forbidden = await worker.PostAsync("api/admin/stop-all", null, Token);
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        using var anonymous = _cluster.Http();
        using var unauthorized = await anonymous.GetAsync("api/admin/info", Token);
        Assert.Equal(HttpStatusCode.Unauthorized, unauthorized.StatusCode);
        Assert.False(_cluster.Server!.HasExited);

        // The admin handler knows its orders and nothing else: no code comes over the network.
        var handler = AdminHandlers.Of((await client.ListWorkersAsync(Token))[0])!;
        var order = await client.SubmitAsync(new TaskSpec { Handler = handler, Args = JsonSerializer.SerializeToElement(new { action = "exec", code = "rm -rf /" }) }, Token);
        var failed = await order.WaitAsync(Token);
        Assert.Equal(TaskState.Failed, failed.Status);
        Assert.Contains("not an admin order: exec", failed.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Stop_workers_drains_every_worker_and_stop_all_stops_the_server_too()
    {
        var (exit, output) = await _cluster.CliAsync("admin", "stop-workers");
        Assert.True(exit == 0, output);
        Assert.Contains("2 worker(s) draining", output, StringComparison.Ordinal);
        foreach (var worker in _cluster.Workers)
        {
            await worker.WaitForExitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(0, worker.ExitCode);
        }
        using var client = _cluster.Client();
        Assert.Equal(2, (await client.AdminInfoAsync(Token)).Workers["stopped"]);

        await _cluster.StartWorkerAsync(1, "--name", "third");
        (exit, output) = await _cluster.CliAsync("admin", "stop-all");
        Assert.True(exit == 0, output);
        Assert.Contains("1 worker(s) draining; the server stops", output, StringComparison.Ordinal);
        await _cluster.Server!.WaitForExitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(0, _cluster.Server.ExitCode);
        await _cluster.Workers[^1].WaitForExitAsync(TimeSpan.FromSeconds(30));
    }

    private static async Task AssertInvalidAsync(Task<HttpResponseMessage> sending, string field)
    {
        using var response = await sending;
        var body = await response.Content.ReadAsStringAsync(Token);
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{response.StatusCode}: {body}");
        Assert.Contains($"\"{field}\"", body, StringComparison.Ordinal);
    }

    private static async Task WaitForAsync(Func<Task<bool>> condition)
    {
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < until, "the condition did not hold within 30 s");
            await Task.Delay(100, Token);
        }
    }
}
