using System.Globalization;
using Drover.IntegrationTests.Infrastructure;
using Drover.Model;
using Drover.Worker.Execution;

namespace Drover.IntegrationTests;

/// <summary><c>drover up</c>: one command for a server and local workers, and a clean stop that loses nothing.</summary>
public sealed class UpCommandTests : IAsyncLifetime
{
    private readonly string _directory = Directory.CreateTempSubdirectory("drover-up-").FullName;
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync()
    {
        Directory.Delete(_directory, recursive: true);
        return ValueTask.CompletedTask;
    }

    private DroverProcess Up(int port) => DroverProcess.Start(
        ["up", "--port", port.ToString(CultureInfo.InvariantCulture), "--workers", "2", "--concurrency", "1"],
        workingDirectory: _directory);

    [Fact]
    public async Task Sigterm_hands_running_tasks_back_and_the_next_up_runs_them()
    {
        var port = FreePort.Next();
        var marker = Path.Combine(_directory, "first-run");
        // Sleeps on its first run only, so the second `up` can finish it.
        var spec = Specs.Shell($"if [ -e {marker} ]; then echo second run; else touch {marker}; sleep 60; fi");

        Guid id;
        await using (var up = Up(port))
        {
            var line = await up.WaitForLineAsync("server listening on", TimeSpan.FromSeconds(30));
            Assert.Contains($"http://127.0.0.1:{port}/", line);
            await up.WaitForLineAsync("admin token:", TimeSpan.FromSeconds(5));
            var url = new Uri($"http://127.0.0.1:{port}/");
            var token = File.ReadAllText(Path.Combine(_directory, "drover-data", "admin.token")).Trim();
            using var client = new Client.DroverClient(url, token);
            id = (await client.CreateTaskAsync(spec, Token)).Id;
            while (!File.Exists(marker)) await Task.Delay(50, Token);
            Assert.True(TaskStateRules.IsLeased((await client.GetTaskAsync(id, Token))!.Status));

            up.Signal(PosixProcess.SigTerm);
            await up.WaitForExitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(0, up.ExitCode);
        }

        await using (var again = Up(port))
        {
            await again.WaitForLineAsync("server listening on", TimeSpan.FromSeconds(30));
            var token = File.ReadAllText(Path.Combine(_directory, "drover-data", "admin.token")).Trim();
            using var client = new Client.DroverClient(new Uri($"http://127.0.0.1:{port}/"), token);
            var task = (await client.WaitAllAsync([id], Token))[0];
            Assert.Equal(TaskState.Succeeded, task.Status);
            var executions = await client.ListExecutionsAsync(id, Token);
            Assert.Equal([ExecutionState.Released, ExecutionState.Succeeded], executions.Select(e => e.Status));
            Assert.Equal("second run\n", (await client.GetTaskAsync(id, Token))!.Stdout);
            // The task may have run on the first of the new workers before the second registered.
            var workers = await Eventually.ValueAsync(() => client.ListWorkersAsync(Token), all => all.Count(w => w.Status == WorkerState.Running) == 2,
                TimeSpan.FromSeconds(30), "both new workers run");
            Assert.Equal(2, workers.Count(w => w.Status == WorkerState.Stopped));
            again.Signal(PosixProcess.SigTerm);
            await again.WaitForExitAsync(TimeSpan.FromSeconds(30));
        }
    }

    [Fact]
    public async Task Port_zero_picks_a_free_port_and_prints_it()
    {
        await using var up = DroverProcess.Start(["up", "--port", "0", "--workers", "0", "--data", Path.Combine(_directory, "zero")]);
        var line = await up.WaitForLineAsync("server listening on", TimeSpan.FromSeconds(30));
        var url = new Uri(line[line.IndexOf("http", StringComparison.Ordinal)..]);
        Assert.NotEqual(0, url.Port);
        using var http = new HttpClient();
        Assert.True((await http.GetAsync(new Uri(url, "health"), Token)).IsSuccessStatusCode);
        up.Signal(PosixProcess.SigTerm);
        await up.WaitForExitAsync(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task Worker_channel_off_keeps_the_server_and_its_workers_on_HTTP()
    {
        await using var up = DroverProcess.Start(["up", "--port", "0", "--workers", "1", "--worker-channel", "off", "--data", Path.Combine(_directory, "http")]);
        var line = await up.WaitForLineAsync("server listening on", TimeSpan.FromSeconds(30));
        var url = new Uri(line[line.IndexOf("http", StringComparison.Ordinal)..]);
        await up.WaitForLineAsync("registered as", TimeSpan.FromSeconds(30));
        var token = File.ReadAllText(Path.Combine(_directory, "http", "admin.token")).Trim();
        using var client = new Client.DroverClient(url, token);
        Assert.Equal(TaskState.Succeeded, (await client.RunAsync(Specs.Shell("echo over http"), Token)).Status);

        // The server refuses the channel, and its worker was told not to try it (no refusal in its log).
        var worker = (await client.ListWorkersAsync(Token)).Single();
        using var http = new HttpClient { BaseAddress = url };
        http.DefaultRequestHeaders.Authorization = new("Bearer", token);
        var refused = await http.GetAsync($"api/workers/{worker.Id}/channel", Token);
        Assert.Equal(System.Net.HttpStatusCode.NotFound, refused.StatusCode);
        Assert.Contains("--worker-channel off", await refused.Content.ReadAsStringAsync(Token));
        Assert.DoesNotContain("channel", up.Output.Replace("--worker-channel", "", StringComparison.Ordinal), StringComparison.OrdinalIgnoreCase);
        up.Signal(PosixProcess.SigTerm);
        await up.WaitForExitAsync(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task A_bad_worker_channel_value_stops_up_with_one_line()
    {
        var (code, output) = await DroverProcess.RunAsync(["up", "--port", "0", "--worker-channel", "maybe", "--data", Path.Combine(_directory, "bad")]);
        Assert.Equal((2, true), (code, output.Contains("--worker-channel must be on or off, not 'maybe'", StringComparison.Ordinal)));
    }
}
