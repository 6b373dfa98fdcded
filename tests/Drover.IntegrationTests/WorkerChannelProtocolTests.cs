using System.Diagnostics;
using System.Net;
using System.Net.WebSockets;
using System.Text;
using Drover.Client;
using Drover.Contracts;
using Drover.IntegrationTests.Infrastructure;
using Drover.Model;

namespace Drover.IntegrationTests;

/// <summary>The worker channel spoken by hand over a WebSocket, against a server with no workers of its own.</summary>
public sealed class WorkerChannelProtocolTests : IAsyncLifetime
{
    private readonly DroverCluster _cluster = new(store: "memory", leaseTimeout: "30s");
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

    private Task<FrameSocket> ConnectAsync(Guid worker) => ConnectAsync(_cluster, worker);

    private static async Task<FrameSocket> ConnectAsync(DroverCluster cluster, Guid worker)
    {
        var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Authorization", $"Bearer {cluster.WorkerToken}");
        await socket.ConnectAsync(new Uri($"ws://127.0.0.1:{cluster.Port}/api/workers/{worker}/channel"), Token);
        return new FrameSocket(socket, 1 << 20);
    }

    private static async Task<ChannelFrame> NextAsync(FrameSocket frames, TimeSpan? within = null)
    {
        using var patience = CancellationTokenSource.CreateLinkedTokenSource(Token);
        patience.CancelAfter(within ?? TimeSpan.FromSeconds(30));
        return await frames.ReceiveAsync(patience.Token) ?? throw new InvalidOperationException("the server closed the channel");
    }

    [Fact]
    public async Task A_want_that_raises_the_room_while_a_lease_is_on_its_way_still_brings_the_tasks_that_wait()
    {
        // On SQLite, where a lease is a write of the one writer and takes long enough to race.
        await using var cluster = new DroverCluster(store: "sqlite", leaseTimeout: "30s");
        await cluster.StartServerAsync();
        using var client = cluster.Client();
        var worker = (await client.RegisterWorkerAsync(new WorkerRegistration { Name = "by-hand", Concurrency = 1 }, Token)).Worker.Id;
        using var frames = await ConnectAsync(cluster, worker);
        var received = 0;
        // Each round: room for one (its lease finds nothing and the pusher notes that nothing was left),
        // two tasks, and room for two sent at once, racing the lease of the first. That want once came
        // while the lease was on its way, woke no one, and the second task waited for good (a worker
        // hung with a free slot in WorkerLifecycleTests); rounds make the race likely, and a round that
        // does not race passes as well.
        var random = new Random(17);
        for (var round = 0; round < 60; round++)
        {
            await frames.SendAsync(new ChannelFrame { Type = ChannelFrameType.Want, Max = 1, Received = received }, Token);
            var creating = client.CreateTasksAsync([Specs.Command("a"), Specs.Command("b")], Token);
            // Sent 0-3 ms after the create left, so that some rounds reach the server during the lease.
            var sendAt = Stopwatch.StartNew();
            var delay = TimeSpan.FromMicroseconds(random.Next(0, 3000));
            while (sendAt.Elapsed < delay) Thread.SpinWait(100);
            await frames.SendAsync(new ChannelFrame { Type = ChannelFrameType.Want, Max = 2, Received = received }, Token);
            var pair = await creating;
            var pushed = new HashSet<Guid>();
            while (pushed.Count < 2)
            {
                var frame = await NextAsync(frames, TimeSpan.FromSeconds(10));
                if (frame.Type == ChannelFrameType.Tasks) pushed.UnionWith(frame.Tasks!.Select(t => t.TaskId));
            }
            Assert.Equal(pair.Select(t => t.Id).ToHashSet(), pushed);
            received += 2;
        }
    }

    [Fact]
    public async Task Tasks_are_pushed_within_the_room_given_and_a_report_is_acknowledged_after_its_commit()
    {
        var worker = await RegisterAsync();
        using var frames = await ConnectAsync(worker);
        await frames.SendAsync(new ChannelFrame { Type = ChannelFrameType.Want, Max = 2, Received = 0 }, Token);
        var created = await _client.CreateTasksAsync([Specs.Command("a"), Specs.Command("b"), Specs.Command("c")], Token);

        // Room for two: two come (in one push or two), the third waits for more room.
        var pushed = new List<LeasedTask>();
        while (pushed.Count < 2)
        {
            var frame = await NextAsync(frames);
            Assert.Equal(ChannelFrameType.Tasks, frame.Type);
            pushed.AddRange(frame.Tasks!);
        }
        Assert.Equal(created.Take(2).Select(t => t.Id), pushed.Select(t => t.TaskId));
        Assert.All(pushed, t => Assert.NotNull(t.TaskToken));
        Assert.Equal(TaskState.Queued, (await _client.GetTaskAsync(created[2].Id, Token))!.Status);

        var finished = new WorkerReport { Events = [new ReportEvent { Type = ReportEventType.Finished, ExecutionId = pushed[0].ExecutionId, ExitCode = 0 }] };
        await frames.SendAsync(new ChannelFrame { Type = ChannelFrameType.Report, Seq = 7, Report = finished }, Token);
        var ack = await NextAsync(frames);
        Assert.Equal((ChannelFrameType.Ack, 7L), (ack.Type, ack.Seq!.Value));
        Assert.Empty(ack.Result!.Stale);
        Assert.Equal(TaskState.Succeeded, (await _client.GetTaskAsync(pushed[0].TaskId, Token))!.Status);

        // One more room, counting the two received: the third comes.
        await frames.SendAsync(new ChannelFrame { Type = ChannelFrameType.Want, Max = 1, Received = 2 }, Token);
        var third = await NextAsync(frames);
        Assert.Equal(created[2].Id, Assert.Single(third.Tasks!).TaskId);
    }

    [Fact]
    public async Task A_signal_for_a_held_task_is_pushed_at_once()
    {
        var worker = await RegisterAsync();
        using var frames = await ConnectAsync(worker);
        await frames.SendAsync(new ChannelFrame { Type = ChannelFrameType.Want, Max = 1, Received = 0 }, Token);
        var task = await _client.CreateTaskAsync(Specs.Command("sleep", "60"), Token);
        var leased = Assert.Single((await NextAsync(frames)).Tasks!);
        await frames.SendAsync(new ChannelFrame
        {
            Type = ChannelFrameType.Report, Seq = 1,
            Report = new WorkerReport { Events = [new ReportEvent { Type = ReportEventType.Started, ExecutionId = leased.ExecutionId }] },
        }, Token);
        Assert.Equal(ChannelFrameType.Ack, (await NextAsync(frames)).Type);

        await _client.SignalTaskAsync(task.Id, TaskSignal.Pause, Token);
        var instructions = await NextAsync(frames);
        Assert.Equal(ChannelFrameType.Instructions, instructions.Type);
        Assert.Equal(new SignalCommand(leased.ExecutionId, TaskSignal.Pause), Assert.Single(instructions.Signals!));
    }

    [Fact]
    public async Task A_bad_report_is_refused_in_its_ack_and_the_channel_goes_on()
    {
        var worker = await RegisterAsync();
        using var frames = await ConnectAsync(worker);
        await frames.SendAsync(new ChannelFrame { Type = ChannelFrameType.Report, Seq = 1, Report = new WorkerReport { Events = [null!] } }, Token);
        var ack = await NextAsync(frames);
        Assert.Equal((ChannelFrameType.Ack, 1L, 400), (ack.Type, ack.Seq!.Value, ack.Status!.Value));
        Assert.Contains("events[0]", ack.Detail);

        await frames.SendAsync(new ChannelFrame { Type = ChannelFrameType.Want, Max = 1, Received = 0 }, Token);
        var task = await _client.CreateTaskAsync(Specs.Command("true"), Token);
        Assert.Equal(task.Id, Assert.Single((await NextAsync(frames)).Tasks!).TaskId);
    }

    [Theory]
    [InlineData("""{"type": "want", "max": -1, "received": 0}""", "want")]
    [InlineData("""{"type": "want", "max": 1, "received": 5}""", "received")]
    [InlineData("""{"type": "report", "seq": 1}""", "report")]
    [InlineData("""{"type": "tasks", "tasks": []}""", "tasks")]
    [InlineData("""{"type": "explode"}""", "not valid")]
    // Report events are read by hand (ReportEventJsonConverter): a bad value, a missing id, an unknown type.
    [InlineData("""{"type": "report", "seq": 1, "report": {"events": [{"type": "finished", "execution_id": "0194a1b2-0000-7000-8000-000000000003", "exit_code": "x"}]}}""", "not valid")]
    [InlineData("""{"type": "report", "seq": 1, "report": {"events": [{"type": "finished", "exit_code": 0}]}}""", "execution_id")]
    [InlineData("""{"type": "report", "seq": 1, "report": {"events": [{"type": "exploded", "execution_id": "0194a1b2-0000-7000-8000-000000000003"}]}}""", "type")]
    [InlineData("""not json""", "not valid")]
    public async Task A_bad_frame_ends_the_channel_with_an_error_saying_why(string frame, string mentioned)
    {
        var worker = await RegisterAsync();
        using var frames = await ConnectAsync(worker);
        await frames.Socket.SendAsync(Encoding.UTF8.GetBytes(frame), WebSocketMessageType.Text, endOfMessage: true, Token);
        var error = await NextAsync(frames);
        Assert.Equal((ChannelFrameType.Error, 400), (error.Type, error.Status!.Value));
        Assert.Contains(mentioned, error.Detail, StringComparison.OrdinalIgnoreCase);
        using var patience = CancellationTokenSource.CreateLinkedTokenSource(Token);
        patience.CancelAfter(TimeSpan.FromSeconds(30));
        Assert.Null(await frames.ReceiveAsync(patience.Token));
    }

    [Fact]
    public async Task An_unknown_worker_is_told_to_register_again()
    {
        using var frames = await ConnectAsync(Guid.CreateVersion7());
        var error = await NextAsync(frames);
        Assert.Equal((ChannelFrameType.Error, 404), (error.Type, error.Status!.Value));
        Assert.Contains("register again", error.Detail);
    }

    [Fact]
    public async Task The_channel_needs_a_websocket_and_a_worker_token()
    {
        var worker = await RegisterAsync();
        using var anonymous = _cluster.Http();
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync($"api/workers/{worker}/channel", Token)).StatusCode);
        using var http = _cluster.Http(_cluster.WorkerToken);
        var plain = await http.GetAsync($"api/workers/{worker}/channel", Token);
        Assert.Equal(HttpStatusCode.BadRequest, plain.StatusCode);
        Assert.Contains("connection", await plain.Content.ReadAsStringAsync(Token));
        var badId = await http.GetAsync("api/workers/nope/channel", Token);
        Assert.Equal(HttpStatusCode.BadRequest, badId.StatusCode);
    }
}
