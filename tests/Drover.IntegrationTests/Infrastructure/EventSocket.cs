using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace Drover.IntegrationTests.Infrastructure;

/// <summary>A real WebSocket client on a server's <c>GET /api/events</c>.</summary>
public sealed class EventSocket(ClientWebSocket socket) : IDisposable
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    public static async Task<EventSocket> ConnectAsync(DroverCluster cluster, string query)
    {
        var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Authorization", $"Bearer {cluster.AdminToken}");
        await socket.ConnectAsync(new Uri($"ws://127.0.0.1:{cluster.Port}/api/events?{query}"), Token);
        return new EventSocket(socket);
    }

    public async Task<JsonElement> ReceiveAsync(TimeSpan timeout)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(Token);
        deadline.CancelAfter(timeout);
        var buffer = new byte[1 << 20];
        using var message = new MemoryStream();
        WebSocketReceiveResult result;
        do
        {
            result = await socket.ReceiveAsync(buffer, deadline.Token);
            message.Write(buffer, 0, result.Count);
        }
        while (!result.EndOfMessage);
        return JsonDocument.Parse(message.ToArray()).RootElement.Clone();
    }

    public Task SendAsync(string json) =>
        socket.SendAsync(Encoding.UTF8.GetBytes(json), WebSocketMessageType.Text, true, Token);

    /// <summary>
    /// Reads messages until the task ends; returns (kind, status) for each mention of it, every
    /// mention seen (as "id" and as "id status"), and the task's stdout as its output chunks brought it.
    /// </summary>
    public async Task<(List<(string Kind, string Status)> Seen, HashSet<string> Mentions, string Stdout)> FollowAsync(Guid id)
    {
        var seen = new List<(string, string)>();
        var mentions = new HashSet<string>();
        var stdout = new StringBuilder();
        while (true)
        {
            var message = await ReceiveAsync(TimeSpan.FromSeconds(30));
            if (message.TryGetProperty("output", out var output) && output.GetProperty("task").GetString() == id.ToString()
                && output.TryGetProperty("stdout", out var text))
                stdout.Append(text.GetString());
            foreach (var kind in new[] { "add", "update" })
            {
                if (!message.TryGetProperty(kind, out var tasks)) continue;
                foreach (var task in tasks.EnumerateArray())
                {
                    mentions.Add(task.GetProperty("id").GetString()!);
                    mentions.Add($"{task.GetProperty("id").GetString()} {task.GetProperty("status").GetString()}");
                    if (task.GetProperty("id").GetString() == id.ToString()) seen.Add((kind, task.GetProperty("status").GetString()!));
                }
            }
            if (seen.Count > 0 && seen[^1].Item2 is "succeeded" or "failed" or "canceled") return (seen, mentions, stdout.ToString());
        }
    }

    public void Dispose() => socket.Dispose();
}
