using System.Net.WebSockets;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Drover.Json;
using Drover.Model;
using Drover.Server.Auth;
using Drover.Server.Http;
using Drover.Storage;
using Drover.Validation;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Hosting;

namespace Drover.Server.Endpoints;

/// <summary>
/// <c>GET /api/events</c> as a WebSocket, in moi's protocol. The server sends <c>{"add": [tasks]}</c>
/// for tasks created, <c>{"update": [tasks]}</c> for changes (the latest state of each, coalesced),
/// <c>{"resync": true}</c> when the follower fell too far behind and must re-read, and
/// <c>{"output": {"task", "execution", "stdout", "stderr"}}</c> chunks of tasks followed by id; the client sends
/// <c>{"subscribe": {"group": ..., "batch": ..., "tasks": [...], "all": true}}</c>, <c>{"get": [ids]}</c>
/// (answered with an update of their current records) and <c>{"remove": [ids]}</c> (stop following
/// those). Query parameters <c>group</c>, <c>batch</c>, <c>task</c> (repeatable), <c>all</c> and
/// <c>queue</c> (how many changed tasks may wait, default 10,000) set the first subscription.
/// </summary>
public static class EventEndpoints
{
    public const int DefaultQueue = 10_000;
    public static readonly TimeSpan Gather = TimeSpan.FromMilliseconds(20);
    /// <summary>
    /// Tasks per message at most: what a follower costs in flight stays small however far behind it is,
    /// and a message stays under the large-object heap's 85 KB (which only a full collection frees).
    /// </summary>
    private const int MaxTasksPerMessage = 100;
    private const int MaxMessageBytes = 1024 * 1024;

    public static void MapEventEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/events", FollowAsync).RequireAuthorization(Roles.ReadPolicy).WithTags("events")
            .WithSummary("A WebSocket of task changes (add, update, resync), filtered by group, batch or task ids");
    }

    private static async Task<IResult> FollowAsync(HttpContext context, TaskEvents events, ITaskStore store, IHostApplicationLifetime lifetime)
    {
        var eventStream = context.Request.Headers.Accept.ToString().Contains("text/event-stream", StringComparison.OrdinalIgnoreCase);
        if (!context.WebSockets.IsWebSocketRequest && !eventStream)
            return Problems.Invalid("connection", "must be a WebSocket upgrade, or ask for server-sent events (Accept: text/event-stream)");
        var query = context.Request.Query;
        var errors = new FieldErrors();
        var tasks = new List<Guid>();
        foreach (var text in query["task"])
        {
            if (Validation.Ids.TryParse(text, out var id)) tasks.Add(id);
            else errors.Add("task", $"'{text}' is not a task id");
        }
        var capacity = DefaultQueue;
        if (query["queue"].ToString() is { Length: > 0 } q && (!int.TryParse(q, out capacity) || capacity is < 1 or > 1_000_000))
            errors.Add("queue", "must be a whole number from 1 to 1000000");
        if (!errors.IsEmpty) return Problems.Invalid(errors);

        // A follower that reconnects the moment its stream ends may arrive while this server stops:
        // "not now" (503, which clients retry), not a 500 from a stream cancelled before it began.
        if (lifetime.ApplicationStopping.IsCancellationRequested)
            return Results.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "The server is stopping.");
        var scope = Scope.Of(context.User);
        using var subscription = events.Subscribe(capacity);
        // A scoped follower receives its scope's tasks only, whatever it asks to follow; output follows task ids, so those are checked here.
        if (!scope.IsEverything) subscription.Visible = scope.Contains;
        subscription.Follow(query["all"] == "true", [.. query["group"].OfType<string>()], [.. query["batch"].OfType<string>()],
            await VisibleAsync(tasks, scope, store, context.RequestAborted));
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, lifetime.ApplicationStopping);
        if (!context.WebSockets.IsWebSocketRequest)
        {
            await StreamAsync(context.Response, subscription, stop.Token);
            return Results.Empty;
        }
        using var socket = await context.WebSockets.AcceptWebSocketAsync();
        using var sending = new SemaphoreSlim(1);
        var receive = ReceiveAsync(socket, subscription, scope, store, sending, stop.Token);
        var send = SendAsync(socket, subscription, sending, stop.Token);
        await Task.WhenAny(receive, send);
        await stop.CancelAsync();
        try
        {
            await Task.WhenAll(receive, send);
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException)
        {
        }
        if (socket.State == WebSocketState.Open)
            await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None);
        return Results.Empty;
    }

    /// <summary>
    /// Server-sent events, for followers that only listen: the same messages as the WebSocket's, each
    /// as <c>event: add|update|resync</c> with the message as its data. Following is set by the query.
    /// </summary>
    private static async Task StreamAsync(HttpResponse response, TaskSubscription subscription, CancellationToken stop)
    {
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        try
        {
            await response.Body.FlushAsync(stop);
            while (!stop.IsCancellationRequested)
                foreach (var (kind, message) in await NextAsync(subscription, stop)) await WriteEventAsync(response, kind, message, stop);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }

    private static async Task WriteEventAsync(HttpResponse response, string kind, byte[] message, CancellationToken stop)
    {
        await response.WriteAsync($"event: {kind}\ndata: ", stop);
        await response.Body.WriteAsync(message, stop);
        await response.WriteAsync("\n\n", stop);
        await response.Body.FlushAsync(stop);
    }

    /// <summary>Sends what waits, as <see cref="NextAsync"/> gathers it.</summary>
    private static async Task SendAsync(WebSocket socket, TaskSubscription subscription, SemaphoreSlim sending, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested && socket.State == WebSocketState.Open)
            foreach (var (_, message) in await NextAsync(subscription, stop)) await SendAsync(socket, message, sending, stop);
    }

    /// <summary>
    /// The next messages for a follower: what waits now, or else what changed within
    /// <see cref="Gather"/> of the next change — a task that goes queued, running, succeeded within
    /// that time is sent once, in its latest state, and many changes share one message: far fewer
    /// sends when work is fast, still well within 100 ms.
    /// </summary>
    private static async Task<List<(string Kind, byte[] Message)>> NextAsync(TaskSubscription subscription, CancellationToken stop)
    {
        while (true)
        {
            var wake = subscription.Changed.WaitHandle;
            var messages = Waiting(subscription);
            if (messages.Count > 0) return messages;
            await wake.WaitAsync(stop);
            await Task.Delay(Gather, stop);
        }
    }

    /// <summary>
    /// The messages for what waits in a subscription: resync first, then adds, then output, then
    /// updates — so a task's last output comes before the update that says it ended.
    /// </summary>
    private static List<(string Kind, byte[] Message)> Waiting(TaskSubscription subscription)
    {
        var waiting = subscription.Take(MaxTasksPerMessage);
        Drover.Observability.TaskMetrics.Delivered(waiting.Added.Count + waiting.Updated.Count + waiting.Output.Count);
        var messages = new List<(string, byte[])>();
        if (waiting.Resync) messages.Add(("resync", Bytes(new JsonObject { ["resync"] = true })));
        if (waiting.Added.Count > 0) messages.Add(("add", Message("add", waiting.Added)));
        foreach (var chunk in waiting.Output) messages.Add(("output", Bytes(OutputMessage(chunk))));
        if (waiting.Updated.Count > 0) messages.Add(("update", Message("update", waiting.Updated)));
        return messages;
    }

    private static byte[] Bytes(JsonObject message) => JsonSerializer.SerializeToUtf8Bytes(message, DroverJson.Options);

    private static JsonObject OutputMessage(TaskOutputChunk chunk)
    {
        var output = new JsonObject { ["task"] = chunk.Task.ToString(), ["execution"] = chunk.Execution.ToString() };
        if (chunk.Stdout is { Length: > 0 })
        {
            output["stdout"] = chunk.Stdout;
            output["stdout_bytes"] = chunk.StdoutBytes;
        }
        if (chunk.Stderr is { Length: > 0 })
        {
            output["stderr"] = chunk.Stderr;
            output["stderr_bytes"] = chunk.StderrBytes;
        }
        if (chunk.Skipped) output["skipped"] = true;
        return new JsonObject { ["output"] = output };
    }

    private static async Task ReceiveAsync(WebSocket socket, TaskSubscription subscription, Scope scope, ITaskStore store, SemaphoreSlim sending, CancellationToken stop)
    {
        // Client messages are small; a large one arrives in pieces. Small buffers keep many followers cheap.
        var buffer = new byte[4 * 1024];
        using var message = new MemoryStream();
        while (!stop.IsCancellationRequested)
        {
            var result = await socket.ReceiveAsync(buffer, stop);
            if (result.MessageType == WebSocketMessageType.Close) return;
            message.Write(buffer, 0, result.Count);
            if (message.Length > MaxMessageBytes)
            {
                await SendAsync(socket, Bytes(new JsonObject { ["error"] = "message too large" }), sending, stop);
                return;
            }
            if (!result.EndOfMessage) continue;
            var reply = await HandleAsync(message.ToArray(), subscription, scope, store, stop);
            message.SetLength(0);
            if (reply is not null) await SendAsync(socket, reply, sending, stop);
        }
    }

    /// <summary>One message from the client; returns the reply, if any.</summary>
    private static async Task<byte[]?> HandleAsync(byte[] text, TaskSubscription subscription, Scope scope, ITaskStore store, CancellationToken stop)
    {
        JsonElement root;
        try
        {
            root = JsonDocument.Parse(text).RootElement;
        }
        catch (JsonException ex)
        {
            return Bytes(new JsonObject { ["error"] = $"not valid JSON: {ex.Message}" });
        }
        var textErrors = new FieldErrors();
        JsonText.Check(root, textErrors);
        if (!textErrors.IsEmpty) return Bytes(new JsonObject { ["error"] = $"not valid: {textErrors}" });
        if (root.ValueKind != JsonValueKind.Object) return Bytes(new JsonObject { ["error"] = "a message is a JSON object: subscribe, get or remove" });
        foreach (var member in root.EnumerateObject())
        {
            switch (member.Name)
            {
                case "subscribe" when member.Value.ValueKind == JsonValueKind.Object:
                    var s = member.Value;
                    subscription.Follow(
                        s.TryGetProperty("all", out var all) && all.ValueKind == JsonValueKind.True,
                        Strings(s, "group"), Strings(s, "batch"), await VisibleAsync(ReadIds(s.TryGetProperty("tasks", out var t) ? t : default), scope, store, stop));
                    break;
                case "get":
                    var ids = ReadIds(member.Value);
                    var records = await store.GetTasksAsync(ids, includeOutput: false, stop);
                    return Message("update", [.. records.Where(scope.Contains)]);
                case "remove":
                    subscription.Unfollow(ReadIds(member.Value));
                    break;
                default:
                    return Bytes(new JsonObject { ["error"] = $"'{member.Name}' is not a message this server takes (subscribe, get, remove)" });
            }
        }
        return null;
    }

    /// <summary>The ids of tasks the follower may see (the others are not followed, their output included).</summary>
    private static async Task<List<Guid>> VisibleAsync(List<Guid> ids, Scope scope, ITaskStore store, CancellationToken cancellationToken) =>
        scope.IsEverything || ids.Count == 0 ? ids
            : [.. (await store.GetTasksAsync(ids, includeOutput: false, cancellationToken)).Where(scope.Contains).Select(t => t.Id)];

    private static List<string> Strings(JsonElement subscribe, string name) =>
        !subscribe.TryGetProperty(name, out var value) ? []
        : value.ValueKind == JsonValueKind.String ? [value.GetString()!]
        : value.ValueKind == JsonValueKind.Array ? [.. value.EnumerateArray().Where(v => v.ValueKind == JsonValueKind.String).Select(v => v.GetString()!)]
        : [];

    private static List<Guid> ReadIds(JsonElement list) =>
        list.ValueKind != JsonValueKind.Array ? []
        : [.. list.EnumerateArray().Select(v => v.ValueKind == JsonValueKind.String && Validation.Ids.TryParse(v.GetString(), out var id) ? id : Guid.Empty).Where(id => id != Guid.Empty)];

    /// <summary>
    /// Each record's JSON, made once however many followers send it: a published record is one
    /// immutable instance shared by every subscription (kept while any holds it).
    /// </summary>
    private static readonly ConditionalWeakTable<TaskRecord, byte[]> Serialized = new();

    private static byte[] Message(string kind, IEnumerable<TaskRecord> tasks)
    {
        using var buffer = new MemoryStream();
        buffer.Write(Encoding.UTF8.GetBytes($"{{\"{kind}\":["));
        var first = true;
        foreach (var task in tasks)
        {
            if (!first) buffer.WriteByte((byte)',');
            first = false;
            buffer.Write(Serialized.GetValue(task, t => JsonSerializer.SerializeToUtf8Bytes(t.WithoutLargeFields(), DroverJson.Options)));
        }
        buffer.Write("]}"u8);
        return buffer.ToArray();
    }

    private static async Task SendAsync(WebSocket socket, byte[] bytes, SemaphoreSlim sending, CancellationToken stop)
    {
        await sending.WaitAsync(stop);
        try
        {
            await socket.SendAsync(bytes, WebSocketMessageType.Text, endOfMessage: true, stop);
        }
        finally
        {
            sending.Release();
        }
    }
}
