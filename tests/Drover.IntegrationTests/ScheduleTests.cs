using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Drover.Contracts;
using Drover.IntegrationTests.Infrastructure;
using Drover.Model;
using Drover.Storage;

namespace Drover.IntegrationTests;

/// <summary>
/// Schedules on a real server with a real worker, in real time: a firing every second runs real
/// commands; a kill -9 of the server mid-run loses no firing and doubles none; the CLI; bad input
/// refused naming the field with nothing created.
/// </summary>
public sealed class ScheduleTests : IAsyncLifetime
{
    private readonly DroverCluster _cluster = new();
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        await _cluster.StartServerAsync();
        await _cluster.StartWorkerAsync(concurrency: 4);
    }

    public ValueTask DisposeAsync() => _cluster.DisposeAsync();

    private static ScheduleSpec EverySecond(string name, string batch) => new()
    {
        Name = name, Cron = "* * * * * *", Overlap = "allow",
        Task = JsonSerializer.SerializeToElement(new { command = "echo \"$DROVER_SCHEDULE $DROVER_SCHEDULED_FOR\"", shell = true, batch }),
    };

    private static async Task<List<TaskRecord>> FiringsAsync(Client.DroverClient client, string batch) =>
        [.. (await client.ListTasksAsync(new TaskListFilter { Batch = batch, Limit = 1000 }, Token)).OrderBy(t => t.Env!["DROVER_SCHEDULED_FOR"], StringComparer.Ordinal)];

    /// <summary>Every second from the first firing to the last has exactly one task.</summary>
    private static void AssertEachSecondOnce(List<TaskRecord> firings)
    {
        var times = firings.Select(t => DateTimeOffset.Parse(t.Env!["DROVER_SCHEDULED_FOR"], CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(times.Count, times.Distinct().Count());
        var seconds = (int)(times[^1] - times[0]).TotalSeconds;
        Assert.Equal(seconds + 1, times.Count);
    }

    [Fact]
    public async Task A_schedule_firing_every_second_runs_its_command_each_second_once_until_deleted()
    {
        using var client = _cluster.Client();
        var created = await client.CreateScheduleAsync(EverySecond("heartbeat", "beats"), Token);
        Assert.Equal("UTC", created.Timezone);
        Assert.NotNull(created.NextFire);
        var firings = await Eventually.ValueAsync(() => FiringsAsync(client, "beats"), f => f.Count(t => t.Status == TaskState.Succeeded) >= 3, TimeSpan.FromSeconds(30), "three firings succeeded");
        await client.DeleteScheduleAsync("heartbeat", Token);
        await Task.Delay(1500, Token); // a firing already under way may still land
        var final = await FiringsAsync(client, "beats");
        AssertEachSecondOnce(final);
        var done = final.First(t => t.Status == TaskState.Succeeded);
        var full = (await client.GetTaskAsync(done.Id, Token))!;
        Assert.Equal($"heartbeat {done.Env!["DROVER_SCHEDULED_FOR"]}\n", full.Stdout);
        Assert.Equal("heartbeat", done.Name);
        // Deleted: no more firings.
        await Task.Delay(2000, Token);
        Assert.Equal(final.Count, (await FiringsAsync(client, "beats")).Count);
        Assert.Null(await client.GetScheduleAsync("heartbeat", Token));
    }

    [Fact]
    public async Task A_kill_9_of_the_server_mid_run_loses_no_firing_and_doubles_none()
    {
        using var client = _cluster.Client();
        await client.CreateScheduleAsync(EverySecond("through-a-crash", "crash-beats"), Token);
        await Eventually.ValueAsync(() => FiringsAsync(client, "crash-beats"), f => f.Count >= 2, TimeSpan.FromSeconds(30), "two firings");
        await _cluster.KillServerAsync();
        await Task.Delay(3000, Token); // firings due while no server runs
        await _cluster.StartServerAsync();
        using var again = _cluster.Client();
        var before = DateTimeOffset.UtcNow;
        await Eventually.ValueAsync(() => FiringsAsync(again, "crash-beats"),
            f => f.Any(t => DateTimeOffset.Parse(t.Env!["DROVER_SCHEDULED_FOR"], CultureInfo.InvariantCulture) > before.AddSeconds(2)), TimeSpan.FromSeconds(30), "firings after the restart");
        await again.ScheduleActionAsync("through-a-crash", "pause", Token);
        await Task.Delay(1500, Token);
        // The seconds while it was down were late, not missed (under 30 s): each ran once after the restart.
        AssertEachSecondOnce(await FiringsAsync(again, "crash-beats"));
    }

    [Fact]
    public async Task The_cli_adds_lists_runs_pauses_and_removes_a_schedule()
    {
        var (exit, output) = await _cluster.CliAsync("schedule", "add", "nightly-backup", "--cron", "0 2 * * *", "--timezone", "Europe/Paris", "--batch", "backups", "--", "echo", "backed up");
        Assert.True(exit == 0, output);
        Assert.Contains("schedule nightly-backup added: 0 2 * * * (Europe/Paris), next at", output);
        (exit, output) = await _cluster.CliAsync("schedule", "list");
        Assert.Matches(@"nightly-backup\s+0 2 \* \* \*\s+Europe/Paris\s+skip\s+\S+ \S+", output);
        Assert.Contains("echo backed up", output);
        (exit, output) = await _cluster.CliAsync("schedule", "run", "nightly-backup");
        Assert.Equal(0, exit);
        using var client = _cluster.Client();
        var ran = (await client.WaitAllAsync([Guid.Parse(output.Trim())], Token))[0];
        Assert.Equal(TaskState.Succeeded, ran.Status);
        Assert.Equal("backups", ran.Batch);
        Assert.Equal("nightly-backup", ran.Env!["DROVER_SCHEDULE"]);
        (exit, output) = await _cluster.CliAsync("schedule", "pause", "nightly-backup");
        Assert.Contains("schedule nightly-backup paused", output);
        Assert.True((await client.GetScheduleAsync("nightly-backup", Token))!.Paused);
        (exit, output) = await _cluster.CliAsync("schedule", "resume", "nightly-backup");
        Assert.Contains("schedule nightly-backup resumed, next at", output);
        (exit, output) = await _cluster.CliAsync("schedule", "add", "nightly-backup", "--cron", "0 3 * * *", "--", "true");
        Assert.Equal(2, exit);
        Assert.Contains("409", output);
        (exit, output) = await _cluster.CliAsync("schedule", "add", "broken", "--cron", "0 25 * * *", "--", "true");
        Assert.Equal(2, exit);
        Assert.Contains("cron: is not a cron expression", output);
        (exit, output) = await _cluster.CliAsync("schedule", "rm", "nightly-backup");
        Assert.Contains("schedule nightly-backup deleted", output);
        (exit, output) = await _cluster.CliAsync("schedule", "rm", "nightly-backup");
        Assert.Equal(2, exit);
        Assert.Contains("No such schedule", output);
    }

    [Fact]
    public async Task Bad_schedules_are_refused_naming_the_field_and_nothing_is_made()
    {
        using var http = _cluster.Http(_cluster.AdminToken);
        var task = new { command = new[] { "true" } };
        var cases = new (object Body, string Field)[]
        {
            (new { cron = "0 2 * * *", task }, "name"),
            (new { name = "has space", cron = "0 2 * * *", task }, "name"),
            (new { name = "a", task }, "cron"),
            (new { name = "a", cron = "0 2 * *", task }, "cron"),
            (new { name = "a", cron = "0 2 * * * * *", task }, "cron"),
            (new { name = "a", cron = "0 2 * * *" }, "task"),
            (new { name = "a", cron = "0 2 * * *", task = "echo" }, "task"),
            (new { name = "a", cron = "0 2 * * *", task = new { } }, "task.command"),
            (new { name = "a", cron = "0 2 * * *", task = new { command = new[] { "true" }, retry = -1 } }, "task.retry"),
            (new { name = "a", cron = "0 2 * * *", task = new { command = new[] { "true" }, id = Guid.NewGuid() } }, "task.id"),
            (new { name = "a", cron = "0 2 * * *", task = new { command = new[] { "true" }, requires = new[] { Guid.NewGuid() } } }, "task.requires"),
            (new { name = "a", cron = "0 2 * * *", task = new { command = new[] { "true" }, nope = 1 } }, "task.nope"),
            (new { name = "a", cron = "0 2 * * *", timezone = "Mars/Base", task }, "timezone"),
            (new { name = "a", cron = "0 2 * * *", overlap = "sometimes", task }, "overlap"),
            (new { name = "a", cron = "0 2 * * *", catch_up = "twice", task }, "catch_up"),
            (new { name = "a", cron = "0 2 * * *", task, when = "now" }, "when"),
        };
        foreach (var (body, field) in cases)
        {
            using var response = await http.PostAsJsonAsync("api/schedules", body, Token);
            var text = await response.Content.ReadAsStringAsync(Token);
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{JsonSerializer.Serialize(body)}: {response.StatusCode} {text}");
            Assert.Contains($"\"{field}\"", text);
        }
        using var client = _cluster.Client();
        Assert.Empty(await client.ListSchedulesAsync(Token));

        // A change that is not valid changes nothing; the name is not a field to change; unknown names are 404s.
        await client.CreateScheduleAsync(new ScheduleSpec { Name = "ok", Cron = "0 2 * * *", Task = JsonSerializer.SerializeToElement(task) }, Token);
        using (var response = await http.PatchAsJsonAsync("api/schedules/ok", new { cron = "0 99 * * *" }, Token))
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using (var response = await http.PatchAsJsonAsync("api/schedules/ok", new { name = "renamed" }, Token))
            Assert.Contains("\"name\"", await response.Content.ReadAsStringAsync(Token));
        Assert.Equal("0 2 * * *", (await client.GetScheduleAsync("ok", Token))!.Cron);
        foreach (var path in new[] { "api/schedules/missing/pause", "api/schedules/missing/run" })
            Assert.Equal(HttpStatusCode.NotFound, (await http.PostAsync(path, null, Token)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.DeleteAsync("api/schedules/missing", Token)).StatusCode);

        // A read token lists schedules but cannot make one.
        var reader = (await client.CreateTokenAsync(new TokenSpec { Name = "reader", Role = "read" }, Token)).Secret;
        using var readHttp = _cluster.Http(reader);
        Assert.Equal(HttpStatusCode.OK, (await readHttp.GetAsync("api/schedules", Token)).StatusCode);
        using (var response = await readHttp.PostAsJsonAsync("api/schedules", new { name = "mine", cron = "0 2 * * *", task }, Token))
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Single(await client.ListSchedulesAsync(Token));
    }
}
