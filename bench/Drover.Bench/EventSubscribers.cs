using System.Net.WebSockets;
using Drover.Client;
using Drover.Model;

namespace Drover.Bench;

/// <summary>
/// Many WebSocket followers, connected during a run — each of its own group (as users of a web
/// application follow their own work), or each of everything: most only read and drop what
/// they get (as cheaply as a client can, so the load measured is the server's), a few parse each
/// message and time how long after a task completed its final update reached them.
/// </summary>
internal sealed class EventSubscribers : IAsyncDisposable
{
    private const int Timed = 10;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _readers = [];
    private readonly List<IDisposable> _sockets = [];
    private readonly List<TaskEventStream> _streams = [];
    private readonly List<double> _delays = [];
    private long _messages;
    private long _resyncs;

    /// <summary>The group the i-th follower follows, and the i-th task belongs to, with <c>--follow group</c>.</summary>
    public static string Group(int i, int count) => $"bench-g{i % count}";

    public static async Task<EventSubscribers> ConnectAsync(LocalCluster cluster, DroverClient client, int count, bool everything)
    {
        var subscribers = new EventSubscribers();
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (i, cancellationToken) =>
        {
            var follow = everything ? new EventFollow { All = true } : new EventFollow { Groups = [Group(i, count)] };
            if (i < Timed)
            {
                var stream = await client.FollowAsync(follow, cancellationToken);
                lock (subscribers._readers)
                {
                    subscribers._streams.Add(stream);
                    subscribers._readers.Add(subscribers.TimeAsync(stream));
                }
                return;
            }
            var socket = new ClientWebSocket();
            socket.Options.SetRequestHeader("Authorization", $"Bearer {cluster.Token}");
            var url = new UriBuilder(new Uri(cluster.Url, "api/events")) { Scheme = "ws", Query = everything ? "all=true" : $"group={Group(i, count)}" }.Uri;
            await socket.ConnectAsync(url, cancellationToken);
            lock (subscribers._readers)
            {
                subscribers._sockets.Add(socket);
                subscribers._readers.Add(subscribers.DrainAsync(socket));
            }
        });
        return subscribers;
    }

    public long Messages => Interlocked.Read(ref _messages);
    public long Resyncs => Interlocked.Read(ref _resyncs);

    /// <summary>Milliseconds from a task's completion to its final update reaching a timed follower, sorted.</summary>
    public List<double> Delays()
    {
        lock (_delays) return [.. _delays.Order()];
    }

    private async Task DrainAsync(ClientWebSocket socket)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var result = await socket.ReceiveAsync(buffer, _stop.Token);
                if (result.MessageType == WebSocketMessageType.Close) return;
                if (result.EndOfMessage) Interlocked.Increment(ref _messages);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException)
        {
        }
    }

    private async Task TimeAsync(TaskEventStream stream)
    {
        try
        {
            while (await stream.ReadAsync(_stop.Token) is { } message)
            {
                Interlocked.Increment(ref _messages);
                var now = DateTimeOffset.UtcNow;
                if (message is Resync) Interlocked.Increment(ref _resyncs);
                if (message is not TasksChanged changed) continue;
                var delays = changed.Tasks.Where(t => t.Status == TaskState.Succeeded && t.Completed is not null)
                    .Select(t => (now - t.Completed!.Value).TotalMilliseconds).ToList();
                lock (_delays) _delays.AddRange(delays);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_readers);
        foreach (var socket in _sockets) socket.Dispose();
        foreach (var stream in _streams) await stream.DisposeAsync();
        _stop.Dispose();
    }
}
