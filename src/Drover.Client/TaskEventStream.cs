using System.Net.Security;
using System.Net.WebSockets;
using System.Text.Json;
using Drover.Json;
using Drover.Model;

namespace Drover.Client;

/// <summary>
/// A WebSocket on <c>GET /api/events</c>: read the messages in order, and change what is followed
/// while it is open. One reader at a time; sends may come from any thread.
/// </summary>
public sealed class TaskEventStream : IAsyncDisposable
{
    private readonly ClientWebSocket _socket;
    private readonly SemaphoreSlim _sending = new(1);
    private readonly byte[] _buffer = new byte[64 * 1024];

    private TaskEventStream(ClientWebSocket socket) => _socket = socket;

    internal static async Task<TaskEventStream> ConnectAsync(Uri server, string token, RemoteCertificateValidationCallback? trust, EventFollow follow,
        CancellationToken cancellationToken)
    {
        var socket = new ClientWebSocket();
        socket.Options.RemoteCertificateValidationCallback = trust;
        socket.Options.SetRequestHeader("Authorization", $"Bearer {token}");
        var url = new UriBuilder(new Uri(server, "api/events")) { Scheme = server.Scheme == "https" ? "wss" : "ws", Query = follow.ToQuery() };
        try
        {
            await socket.ConnectAsync(url.Uri, cancellationToken);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        return new TaskEventStream(socket);
    }

    /// <summary>The next message; null once the server closed the stream.</summary>
    public async Task<TaskEvent?> ReadAsync(CancellationToken cancellationToken)
    {
        using var message = new MemoryStream();
        while (true)
        {
            WebSocketReceiveResult result;
            try
            {
                result = await _socket.ReceiveAsync(_buffer, cancellationToken);
            }
            catch (WebSocketException) when (_socket.State != WebSocketState.Open)
            {
                return null;
            }
            if (result.MessageType == WebSocketMessageType.Close) return null;
            message.Write(_buffer, 0, result.Count);
            if (result.EndOfMessage) return Parse(message.ToArray());
        }
    }

    private static TaskEvent Parse(byte[] json)
    {
        var root = JsonDocument.Parse(json).RootElement;
        if (root.TryGetProperty("add", out var added)) return new TasksChanged(true, Records(added));
        if (root.TryGetProperty("update", out var updated)) return new TasksChanged(false, Records(updated));
        if (root.TryGetProperty("resync", out _)) return new Resync();
        if (root.TryGetProperty("output", out var o))
            return new TaskOutput(o.GetProperty("task").GetGuid(), o.GetProperty("execution").GetGuid(),
                Text(o, "stdout"), Text(o, "stderr"), Number(o, "stdout_bytes"), Number(o, "stderr_bytes"),
                o.TryGetProperty("skipped", out var skipped) && skipped.ValueKind == JsonValueKind.True);
        return new EventError(root.TryGetProperty("error", out var error) ? error.ToString() : root.GetRawText());
    }

    private static List<TaskRecord> Records(JsonElement list) => list.Deserialize<List<TaskRecord>>(DroverJson.Options) ?? [];

    private static string? Text(JsonElement o, string name) => o.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static long? Number(JsonElement o, string name) => o.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt64() : null;

    /// <summary>Follow more (in addition to what is followed).</summary>
    public Task SubscribeAsync(EventFollow follow, CancellationToken cancellationToken) =>
        SendAsync(new { subscribe = new { all = follow.All, group = follow.Groups, batch = follow.Batches, tasks = follow.Tasks } }, cancellationToken);

    /// <summary>Ask for the current records of these tasks: they come as an update.</summary>
    public Task GetAsync(IReadOnlyCollection<Guid> ids, CancellationToken cancellationToken) => SendAsync(new { get = ids }, cancellationToken);

    /// <summary>Stop following these tasks.</summary>
    public Task RemoveAsync(IReadOnlyCollection<Guid> ids, CancellationToken cancellationToken) => SendAsync(new { remove = ids }, cancellationToken);

    private async Task SendAsync(object message, CancellationToken cancellationToken)
    {
        var bytes = JsonSerializer.SerializeToUtf8Bytes(message);
        await _sending.WaitAsync(cancellationToken);
        try
        {
            await _socket.SendAsync(bytes, WebSocketMessageType.Text, endOfMessage: true, cancellationToken);
        }
        finally
        {
            _sending.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_socket.State == WebSocketState.Open)
        {
            using var quick = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            try
            {
                await _socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", quick.Token);
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
            {
            }
        }
        _socket.Dispose();
        _sending.Dispose();
    }
}
