using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Drover.IntegrationTests.Infrastructure;
using Drover.Model;

namespace Drover.IntegrationTests;

/// <summary><c>GET /api/events</c>: a real WebSocket client against the real server.</summary>
[Collection("cluster")]
public sealed class EventTests(SharedCluster shared)
{
    private readonly DroverCluster _cluster = shared.Cluster;
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private async Task<ClientWebSocket> ConnectAsync(string query)
    {
        var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Authorization", $"Bearer {_cluster.AdminToken}");
        await socket.ConnectAsync(new Uri($"ws://127.0.0.1:{_cluster.Port}/api/events?{query}"), Token);
        return socket;
    }

    private static async Task<JsonElement> ReceiveAsync(ClientWebSocket socket, TimeSpan timeout)
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

    private static Task SendAsync(ClientWebSocket socket, string json) =>
        socket.SendAsync(Encoding.UTF8.GetBytes(json), WebSocketMessageType.Text, true, Token);

    /// <summary>
    /// Reads messages until the task ends; returns (kind, status) for each mention of it, and every
    /// mention seen, as "id" and as "id status".
    /// </summary>
    private static async Task<(List<(string Kind, string Status)> Seen, HashSet<string> Mentions)> FollowAsync(ClientWebSocket socket, Guid id)
    {
        var seen = new List<(string, string)>();
        var mentions = new HashSet<string>();
        while (true)
        {
            var message = await ReceiveAsync(socket, TimeSpan.FromSeconds(30));
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
            if (seen.Count > 0 && seen[^1].Item2 is "succeeded" or "failed" or "canceled") return (seen, mentions);
        }
    }

    [Fact]
    public async Task A_group_follower_sees_its_task_added_then_updated_in_order_and_nothing_of_other_groups()
    {
        var group = $"g-{Guid.NewGuid():N}";
        using var socket = await ConnectAsync($"group={group}");
        using var client = _cluster.Client();
        var other = await client.CreateTaskAsync(Specs.Command("true") with { Group = $"other-{group}" }, Token);
        var task = await client.CreateTaskAsync(Specs.Shell("sleep 0.2") with { Group = group }, Token);

        var (seen, ids) = await FollowAsync(socket, task.Id);
        // First an add (its state may already be past queued: changes waiting are coalesced), then updates.
        Assert.Equal("add", seen[0].Kind);
        Assert.All(seen.Skip(1), s => Assert.Equal("update", s.Kind));
        Assert.Equal("succeeded", seen[^1].Status);
        var order = new[] { "queued", "assigned", "running", "succeeded" };
        var positions = seen.Select(s => Array.IndexOf(order, s.Status)).ToList();
        Assert.Equal(positions.Order(), positions); // never backwards
        Assert.DoesNotContain(other.Id.ToString(), ids);

        // get answers with the current record; remove stops following.
        await SendAsync(socket, $$"""{"get": ["{{task.Id}}"]}""");
        var current = await ReceiveAsync(socket, TimeSpan.FromSeconds(10));
        Assert.Equal("succeeded", current.GetProperty("update")[0].GetProperty("status").GetString());
        var resubmitted = await client.ResubmitAsync([task.Id], Token);
        await SendAsync(socket, $$"""{"remove": ["{{resubmitted[0].Id}}"]}""");
        await client.WaitAllAsync([resubmitted[0].Id], Token);
        var last = await client.CreateTaskAsync(Specs.Command("true") with { Group = group }, Token);
        var (_, later) = await FollowAsync(socket, last.Id);
        Assert.Contains($"{last.Id} succeeded", later);
        Assert.DoesNotContain($"{resubmitted[0].Id} succeeded", later); // no longer followed
    }

    [Fact]
    public async Task A_follower_that_falls_behind_is_told_to_resync_and_the_socket_needs_a_real_upgrade()
    {
        var batch = $"r-{Guid.NewGuid():N}";
        using var socket = await ConnectAsync($"batch={batch}&queue=1");
        using var client = _cluster.Client();
        await client.CreateTasksAsync([.. Enumerable.Range(0, 200).Select(_ => Specs.Command("true") with { Batch = batch })], Token);
        var resync = false;
        for (var i = 0; i < 50 && !resync; i++)
            resync = (await ReceiveAsync(socket, TimeSpan.FromSeconds(30))).TryGetProperty("resync", out _);
        Assert.True(resync);

        using var http = _cluster.Http(_cluster.AdminToken);
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, (await http.GetAsync("api/events", Token)).StatusCode);
        using var anonymous = new ClientWebSocket();
        var refused = await Assert.ThrowsAnyAsync<WebSocketException>(() => anonymous.ConnectAsync(new Uri($"ws://127.0.0.1:{_cluster.Port}/api/events"), Token));
        Assert.NotNull(refused);
    }

    [Fact]
    public async Task Server_sent_events_carry_the_same_messages_to_a_listener()
    {
        var group = $"sse-{Guid.NewGuid():N}";
        using var http = _cluster.Http(_cluster.AdminToken);
        using var request = new HttpRequestMessage(HttpMethod.Get, $"api/events?group={group}");
        request.Headers.Accept.ParseAdd("text/event-stream");
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, Token);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(Token));

        using var client = _cluster.Client();
        var task = await client.CreateTaskAsync(Specs.Command("true") with { Group = group }, Token);
        var kinds = new List<string>();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(Token);
        deadline.CancelAfter(TimeSpan.FromSeconds(30));
        string? kind = null;
        while (await reader.ReadLineAsync(deadline.Token) is { } line)
        {
            if (line.StartsWith("event: ", StringComparison.Ordinal)) kind = line["event: ".Length..];
            if (!line.StartsWith("data: ", StringComparison.Ordinal)) continue;
            var data = JsonDocument.Parse(line["data: ".Length..]).RootElement;
            var record = data.GetProperty(kind!)[0];
            Assert.Equal(task.Id.ToString(), record.GetProperty("id").GetString());
            kinds.Add(kind!);
            if (record.GetProperty("status").GetString() == "succeeded") break;
        }
        Assert.Equal("add", kinds[0]);
        Assert.All(kinds.Skip(1), k => Assert.Equal("update", k));
    }
}
