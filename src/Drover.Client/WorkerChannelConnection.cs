using System.Net.Security;
using System.Collections.Concurrent;
using System.Net;
using System.Net.WebSockets;
using Drover.Contracts;

namespace Drover.Client;

/// <summary>
/// A worker's end of its channel (<c>GET /api/workers/{id}/channel</c>): it says how much room it
/// has (<see cref="WantAsync"/>), is pushed tasks, signals and settings as they come, and reports
/// with an answer after the server's commit (<see cref="ReportAsync"/>). It does not reconnect:
/// when it ends, <see cref="Completion"/> says why and the worker carries on over HTTP.
/// </summary>
public sealed class WorkerChannelConnection : IAsyncDisposable
{
    /// <summary>The largest frame taken from the server (a push of many tasks with their args).</summary>
    private const long MaxFrameBytes = 256L * 1024 * 1024;

    private readonly FrameSocket _frames;
    private readonly ConcurrentDictionary<long, TaskCompletionSource<ReportResult>> _acks = new();
    private readonly Action<IReadOnlyList<LeasedTask>> _onTasks;
    private readonly Action<IReadOnlyList<SignalCommand>, WorkerControl?> _onInstructions;
    private long _sequence;
    private int _ended;

    private WorkerChannelConnection(FrameSocket frames, Action<IReadOnlyList<LeasedTask>> onTasks, Action<IReadOnlyList<SignalCommand>, WorkerControl?> onInstructions)
    {
        _frames = frames;
        _onTasks = onTasks;
        _onInstructions = onInstructions;
        Completion = Task.Run(ReadAsync);
    }

    /// <summary>
    /// Ends when the channel does, always with an exception: <see cref="DroverApiException"/> with a
    /// 404 when the server does not know the worker (register again), else
    /// <see cref="WorkerChannelClosedException"/>.
    /// </summary>
    public Task Completion { get; }

    /// <summary>False once the channel has ended (or is ending): send over HTTP.</summary>
    public bool IsOpen => Volatile.Read(ref _ended) == 0;

    /// <param name="onTasks">Called on the channel's reading thread with the tasks pushed; it must only take them, not run them.</param>
    /// <param name="onInstructions">Called with signals for the worker's executions and its new settings.</param>
    /// <exception cref="WebSocketException">The server refused the channel (it is off there, or unreachable): use HTTP.</exception>
    internal static async Task<WorkerChannelConnection> ConnectAsync(Uri server, string token, RemoteCertificateValidationCallback? trust, Guid workerId,
        Action<IReadOnlyList<LeasedTask>> onTasks, Action<IReadOnlyList<SignalCommand>, WorkerControl?> onInstructions, CancellationToken cancellationToken)
    {
        var socket = new ClientWebSocket();
        socket.Options.RemoteCertificateValidationCallback = trust;
        socket.Options.SetRequestHeader("Authorization", $"Bearer {token}");
        // A server that vanished without closing (a machine lost, a network cut) is noticed by the pings, not only by the next write.
        socket.Options.KeepAliveInterval = TimeSpan.FromSeconds(10);
        socket.Options.KeepAliveTimeout = TimeSpan.FromSeconds(20);
        var url = new UriBuilder(new Uri(server, $"api/workers/{workerId}/channel")) { Scheme = server.Scheme == "https" ? "wss" : "ws" };
        try
        {
            await socket.ConnectAsync(url.Uri, cancellationToken);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        return new WorkerChannelConnection(new FrameSocket(socket, MaxFrameBytes), onTasks, onInstructions);
    }

    /// <summary>
    /// The room the worker has for tasks now (0: push none), and how many tasks it had taken from this
    /// channel when it counted that room (read together, under one lock): the server counts what it
    /// pushed since as in flight.
    /// </summary>
    public Task WantAsync(int max, long received, CancellationToken cancellationToken) =>
        SendAsync(new ChannelFrame { Type = ChannelFrameType.Want, Max = max, Received = received }, cancellationToken);

    /// <summary>Sends a report and returns the server's answer, given after the report's commit.</summary>
    public async Task<ReportResult> ReportAsync(WorkerReport report, CancellationToken cancellationToken)
    {
        var sequence = Interlocked.Increment(ref _sequence);
        var answer = new TaskCompletionSource<ReportResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        _acks[sequence] = answer;
        try
        {
            // Checked after registering, as the reader sets it before failing what is registered: one of us sees the other.
            if (Volatile.Read(ref _ended) == 1) throw new WorkerChannelClosedException("the worker channel has ended");
            await SendAsync(new ChannelFrame { Type = ChannelFrameType.Report, Seq = sequence, Report = report }, cancellationToken);
            return await answer.Task.WaitAsync(cancellationToken);
        }
        finally
        {
            _acks.TryRemove(sequence, out _);
        }
    }

    private async Task SendAsync(ChannelFrame frame, CancellationToken cancellationToken)
    {
        try
        {
            await _frames.SendAsync(frame, cancellationToken);
        }
        catch (Exception ex) when (ex is WebSocketException or IOException or ObjectDisposedException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            throw new WorkerChannelClosedException($"the worker channel has ended: {ex.Message}", ex);
        }
    }

    private async Task ReadAsync()
    {
        Exception why;
        try
        {
            why = await ReadFramesAsync();
        }
        catch (Exception ex) when (ex is WebSocketException or IOException or OperationCanceledException or ObjectDisposedException)
        {
            why = new WorkerChannelClosedException($"the worker channel has ended: {ex.Message}", ex);
        }
        Volatile.Write(ref _ended, 1);
        foreach (var pending in _acks.Values) pending.TrySetException(why);
        throw why;
    }

    /// <returns>Why the channel ended.</returns>
    private async Task<Exception> ReadFramesAsync()
    {
        while (await _frames.ReceiveAsync(CancellationToken.None) is { } frame)
        {
            switch (frame.Type)
            {
                case ChannelFrameType.Tasks when frame.Tasks is { } tasks:
                    _onTasks(tasks);
                    break;
                case ChannelFrameType.Ack when frame.Seq is { } sequence && _acks.TryGetValue(sequence, out var answer):
                    if (frame.Status is { } status) answer.TrySetException(new DroverApiException((HttpStatusCode)status, "Report refused", frame.Detail, null));
                    else answer.TrySetResult(frame.Result ?? new ReportResult([]));
                    break;
                case ChannelFrameType.Instructions:
                    _onInstructions(frame.Signals ?? [], frame.Control);
                    break;
                case ChannelFrameType.Error:
                    return new DroverApiException((HttpStatusCode)(frame.Status ?? 500), "Worker channel refused", frame.Detail, null);
            }
        }
        return new WorkerChannelClosedException("the server closed the worker channel");
    }

    /// <summary>Closes the channel (the server's answer ends <see cref="Completion"/>, whose why the caller has been told).</summary>
    public async ValueTask DisposeAsync()
    {
        await _frames.CloseAsync(Completion);
        _frames.Dispose();
    }
}
