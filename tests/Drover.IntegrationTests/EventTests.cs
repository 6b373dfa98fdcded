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

    private Task<EventSocket> ConnectAsync(string query) => EventSocket.ConnectAsync(_cluster, query);

    [Fact]
    public async Task A_group_follower_sees_its_task_added_then_updated_in_order_and_nothing_of_other_groups()
    {
        var group = $"g-{Guid.NewGuid():N}";
        using var socket = await ConnectAsync($"group={group}");
        using var client = _cluster.Client();
        var other = await client.CreateTaskAsync(Specs.Command("true") with { Group = $"other-{group}" }, Token);
        var task = await client.CreateTaskAsync(Specs.Shell("sleep 0.2") with { Group = group }, Token);

        var (seen, ids, _) = await socket.FollowAsync(task.Id);
        // First an add (its state may already be past queued: changes waiting are coalesced), then updates.
        Assert.Equal("add", seen[0].Kind);
        Assert.All(seen.Skip(1), s => Assert.Equal("update", s.Kind));
        Assert.Equal("succeeded", seen[^1].Status);
        var order = new[] { "queued", "assigned", "running", "succeeded" };
        var positions = seen.Select(s => Array.IndexOf(order, s.Status)).ToList();
        Assert.Equal(positions.Order(), positions); // never backwards
        Assert.DoesNotContain(other.Id.ToString(), ids);

        // get answers with the current record; remove stops following.
        await socket.SendAsync($$"""{"get": ["{{task.Id}}"]}""");
        var current = await socket.ReceiveAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("succeeded", current.GetProperty("update")[0].GetProperty("status").GetString());
        var resubmitted = await client.ResubmitAsync([task.Id], Token);
        await socket.SendAsync($$"""{"remove": ["{{resubmitted[0].Id}}"]}""");
        await client.WaitAllAsync([resubmitted[0].Id], Token);
        var last = await client.CreateTaskAsync(Specs.Command("true") with { Group = group }, Token);
        var (_, later, _) = await socket.FollowAsync(last.Id);
        Assert.Contains($"{last.Id} succeeded", later);
        Assert.DoesNotContain($"{resubmitted[0].Id} succeeded", later); // no longer followed
    }

    [Fact]
    public async Task A_follower_of_a_task_by_id_gets_its_output_while_it_runs()
    {
        using var client = _cluster.Client();
        // The task waits for its follower to be connected, then prints in three bursts.
        var gate = Path.Combine(Path.GetTempPath(), $"drover-gate-{Guid.NewGuid():N}");
        var task = await client.CreateTaskAsync(Specs.Shell($"while [ ! -e {gate} ]; do sleep 0.05; done; echo one; sleep 1.2; echo two; sleep 1.2; echo three"), Token);
        using var socket = await ConnectAsync($"task={task.Id}");
        await File.WriteAllTextAsync(gate, "", Token);
        try
        {
            var (seen, _, stdout) = await socket.FollowAsync(task.Id);
            Assert.Equal("succeeded", seen[^1].Status);
            Assert.Equal("one\ntwo\nthree\n", stdout);
        }
        finally
        {
            File.Delete(gate);
        }
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
            resync = (await socket.ReceiveAsync(TimeSpan.FromSeconds(30))).TryGetProperty("resync", out _);
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

    [Fact]
    public async Task A_bad_message_from_the_client_gets_an_error_and_the_stream_goes_on()
    {
        using var client = _cluster.Client();
        var task = await client.CreateTaskAsync(Specs.Command("true"), Token);
        using var socket = await ConnectAsync($"task={task.Id}");
        foreach (var (bad, says) in new[] { ("not json", "not valid JSON"), ("[1]", "a message is a JSON object"), ("""{"frobnicate": 1}""", "'frobnicate' is not a message") })
        {
            await socket.SendAsync(bad);
            JsonElement answer;
            do answer = await socket.ReceiveAsync(TimeSpan.FromSeconds(10));
            while (!answer.TryGetProperty("error", out _)); // changes of the task may come first
            Assert.Contains(says, answer.GetProperty("error").GetString());
        }
        await socket.SendAsync($$"""{"get": ["{{task.Id}}"]}""");
        JsonElement current;
        do current = await socket.ReceiveAsync(TimeSpan.FromSeconds(10));
        while (!(current.TryGetProperty("update", out var u) && u.GetArrayLength() == 1 && u[0].GetProperty("id").GetString() == task.Id.ToString()));
    }
}
