using System.Net.Http.Json;
using Drover.Client;
using Drover.Contracts;
using Drover.IntegrationTests.Infrastructure;
using Drover.Model;
using Drover.Worker;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Drover.IntegrationTests;

public sealed record ResizeArgs(string Image, int Width);
public sealed record ResizeResult(string Image, int Width, int Height);

/// <summary>.NET handlers: a worker inside a .NET host in this process, against a real server.</summary>
public sealed class HandlerTests : IAsyncLifetime
{
    private readonly DroverCluster _cluster = new();
    private readonly TaskCompletionSource<bool> _sawCancellation = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _blockStarted = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private IHost _host = null!;
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        await _cluster.StartServerAsync();
        _host = await StartHostAsync(o => o
            .Handle<ResizeArgs, ResizeResult>("resize", async (args, ctx) =>
            {
                await ctx.Status($"resizing {args.Image}", 0.5);
                var record = await ctx.GetRecordAsync();
                ctx.Out.WriteLine($"resized {args.Image} on attempt {ctx.Attempt} ({record.StatusMessage}, batch {record.Batch})");
                return new ResizeResult(args.Image, args.Width, args.Width * 3 / 4);
            })
            .Handle<string>("explode", (what, ctx) => throw new InvalidOperationException($"cannot handle {what}"))
            .Handle<int, string>("trace", (_, ctx) => Task.FromResult(System.Diagnostics.Activity.Current is { } a ? $"{a.TraceId} {a.ParentSpanId}" : "none"))
            .Handle<int, int>("block", async (seconds, ctx) =>
            {
                _blockStarted.TrySetResult();
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(seconds), ctx.CancellationToken);
                }
                catch (OperationCanceledException)
                {
                    _sawCancellation.TrySetResult(true);
                    throw;
                }
                return seconds;
            }));
    }

    private async Task<IHost> StartHostAsync(Action<WorkerOptions> handlers)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddDroverWorker(o =>
        {
            o.Server = _cluster.Url;
            o.Token = _cluster.WorkerToken;
            o.Concurrency = 4;
            o.OutputFlushInterval = TimeSpan.FromMilliseconds(200);
            handlers(o);
        });
        var host = builder.Build();
        await host.StartAsync(Token);
        using var client = _cluster.Client();
        for (var i = 0; i < 100 && (await client.ListWorkersAsync(Token)).All(w => w.Status != WorkerState.Running); i++) await Task.Delay(100, Token);
        return host;
    }

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync(CancellationToken.None);
        _host.Dispose();
        await _cluster.DisposeAsync();
    }

    private DroverClient Client() => new(_cluster.Url, _cluster.AdminToken, new DroverClientOptions());

    [Fact]
    public async Task A_task_joins_the_trace_of_the_request_that_submitted_it_in_a_handler_and_in_a_command()
    {
        // A listener for Drover's source, as a host with OpenTelemetry tracing would have.
        using var listener = new System.Diagnostics.ActivityListener
        {
            ShouldListenTo = source => source.Name == Observability.TaskTraces.SourceName,
            Sample = (ref System.Diagnostics.ActivityCreationOptions<System.Diagnostics.ActivityContext> _) => System.Diagnostics.ActivitySamplingResult.AllDataAndRecorded,
        };
        System.Diagnostics.ActivitySource.AddActivityListener(listener);
        const string traceId = "4bf92f3577b34da6a3ce929d0e0e4736", spanId = "00f067aa0ba902b7";
        using var http = _cluster.Http(_cluster.AdminToken);
        http.DefaultRequestHeaders.Add("traceparent", $"00-{traceId}-{spanId}-01");
        using var response = await http.PostAsJsonAsync("api/tasks", new object[]
        {
            new { handler = "trace", args = 1 },
            new { command = "echo \"$TRACEPARENT\"", shell = true },
        }, Token);
        var created = (await response.Content.ReadFromJsonAsync<List<TaskRecord>>(Json.DroverJson.Options, Token))!;
        Assert.All(created, t => Assert.Equal($"00-{traceId}-{spanId}-01", t.Env![Observability.TaskTraces.TraceParentVariable]));
        await _cluster.StartWorkerAsync();
        using var client = _cluster.Client();
        var ended = await client.WaitAllAsync([.. created.Select(t => t.Id)], Token);
        Assert.All(ended, t => Assert.Equal(TaskState.Succeeded, t.Status));
        // The handler ran under an activity whose parent is the submitter's span: its own spans nest under the task's.
        Assert.Equal($"\"{traceId} {spanId}\"", (await client.GetTaskAsync(created[0].Id, Token))!.Result!.Value.GetRawText());
        Assert.Equal($"00-{traceId}-{spanId}-01\n", (await client.GetTaskAsync(created[1].Id, Token))!.Stdout);
    }

    [Fact]
    public async Task Echo_ends_with_its_args_as_result_and_an_empty_output_as_a_silent_handler_does()
    {
        await using var client = Client();
        // One on echo's short way, one under a trace (the handler's way, with its span): the same record.
        var created = await client.CreateTasksAsync([
            new TaskSpec { Handler = "echo", Args = System.Text.Json.JsonSerializer.SerializeToElement(new { n = 7 }) },
            new TaskSpec { Handler = "echo", Args = System.Text.Json.JsonSerializer.SerializeToElement(new { n = 7 }),
                Env = new() { ["TRACEPARENT"] = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" } },
        ], Token);
        var ended = await client.WaitAllAsync([.. created.Select(t => t.Id)], Token);
        foreach (var id in created.Select(t => t.Id))
        {
            var record = (await client.GetTaskAsync(id, Token))!;
            Assert.Equal(TaskState.Succeeded, record.Status);
            Assert.Equal(0, record.ExitCode);
            Assert.Equal("""{"n":7}""", record.Result!.Value.GetRawText());
            Assert.Equal(("", "", 0L, 0L), (record.Stdout, record.Stderr, record.StdoutBytes, record.StderrBytes));
            Assert.NotNull(record.Started);
        }
        Assert.Equal(2, ended.Count);
    }

    [Fact]
    public async Task A_handler_gets_typed_args_returns_a_typed_result_and_reports_status_and_output()
    {
        await using var client = Client();
        var task = await client.EnqueueAsync("resize", new ResizeArgs("cat.png", 800), cancellationToken: Token);
        var result = await task.ResultAsync<ResizeResult>(Token);
        Assert.Equal(new ResizeResult("cat.png", 800, 600), result);
        var record = await task.RefreshAsync(Token);
        Assert.Equal("resizing cat.png", record.StatusMessage);
        Assert.Equal(0.5, record.Progress);
        Assert.Equal("resized cat.png on attempt 1 (resizing cat.png, batch default)\n", record.Stdout);
    }

    [Fact]
    public async Task A_handler_that_throws_fails_its_task_with_the_exception_and_retries_apply()
    {
        await using var client = Client();
        var task = await client.EnqueueAsync("explode", "everything", new TaskSpec { Retry = 1 }, Token);
        var failed = await Assert.ThrowsAsync<DroverTaskFailedException>(() => task.ResultAsync<object>(Token));
        Assert.Equal(TaskState.Failed, failed.Task.Status);
        Assert.Equal(2, failed.Task.Attempts);
        Assert.Contains("System.InvalidOperationException: cannot handle everything", failed.Task.Error);
        Assert.Contains(" at ", failed.Task.Error); // the stack trace
    }

    [Fact]
    public async Task Cancel_and_timeout_fire_the_handlers_token()
    {
        await using var client = Client();
        var blocked = await client.EnqueueAsync("block", 60, cancellationToken: Token);
        await _blockStarted.Task.WaitAsync(TimeSpan.FromSeconds(30), Token);
        await client.CancelAsync(blocked.Id, Token);
        Assert.Equal(TaskState.Canceled, (await blocked.WaitAsync(Token)).Status);
        Assert.True(await _sawCancellation.Task.WaitAsync(TimeSpan.FromSeconds(10), Token));

        var slow = await client.EnqueueAsync("block", 60, new TaskSpec().WithTimeout("1s"), Token);
        var ended = await slow.WaitAsync(Token);
        Assert.Equal(TaskState.Failed, ended.Status);
        Assert.Contains("timed out", ended.Reason);
    }

    [Fact]
    public async Task A_task_naming_a_handler_no_worker_offers_waits_queued_until_one_does()
    {
        await using var client = Client();
        var offered = await client.ListHandlersAsync(Token);
        Assert.Equal(["block", "echo", "explode", "resize", "trace"], offered.Select(o => o.Name));
        var waiting = await client.EnqueueAsync("thumbnail", new ResizeArgs("dog.png", 64), cancellationToken: Token);
        var other = await client.EnqueueAsync("resize", new ResizeArgs("cow.png", 400), cancellationToken: Token);
        await other.WaitAsync(Token);
        Assert.Equal(TaskState.Queued, (await waiting.RefreshAsync(Token)).Status);
        var (_, listing) = await _cluster.CliAsync("tasks");
        Assert.Contains("Waiting for a worker that offers: thumbnail (1).", listing);

        using var second = await StartHostAsync(o => o.Handle<ResizeArgs, ResizeResult>("thumbnail", (args, _) => Task.FromResult(new ResizeResult(args.Image, args.Width, args.Width))));
        Assert.Equal(new ResizeResult("dog.png", 64, 64), await waiting.ResultAsync<ResizeResult>(Token));
        Assert.Contains(await client.ListHandlersAsync(Token), o => o.Name == "thumbnail");
        await second.StopAsync(Token);
    }

    [Fact]
    public void Handlers_need_a_name_once_and_a_hosted_worker_needs_a_server_and_token()
    {
        var options = new WorkerOptions().Handle<int, int>("double", (n, _) => Task.FromResult(2 * n));
        Assert.Contains("already registered", Assert.Throws<ArgumentException>(() => options.Handle<int, int>("double", (n, _) => Task.FromResult(n))).Message);
        Assert.Throws<ArgumentException>(() => options.Handle<int, int>(" ", (n, _) => Task.FromResult(n)));
        Assert.Throws<ArgumentException>(() => options.Handle<int, int>(Contracts.LeasedTask.EchoHandler, (n, _) => Task.FromResult(n))); // built in

        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddDroverWorker(o => o.Handle<int, int>("double", (n, _) => Task.FromResult(2 * n)));
        using var host = builder.Build();
        Assert.Contains("--server is required", Assert.Throws<ArgumentException>(() => host.Services.GetServices<IHostedService>().ToList()).Message);
    }
}
