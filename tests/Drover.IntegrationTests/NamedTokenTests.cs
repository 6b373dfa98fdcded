using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Drover.Contracts;
using Drover.IntegrationTests.Infrastructure;
using Drover.Model;

namespace Drover.IntegrationTests;

/// <summary>Named tokens (issue 18): roles, group and batch scopes on every task endpoint, revocation, expiry.</summary>
[Collection("cluster")]
public sealed class NamedTokenTests(SharedCluster shared)
{
    private readonly DroverCluster _cluster = shared.Cluster;
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private async Task<string> CreateAsync(string role, string[]? groups = null, string[]? batches = null, string? expires = null, string? name = null)
    {
        using var admin = _cluster.Client();
        var created = await admin.CreateTokenAsync(new TokenSpec
        {
            Name = name ?? $"t-{Guid.NewGuid():N}", Role = role, Groups = groups?.ToList(), Batches = batches?.ToList(), Expires = expires,
        }, Token);
        Assert.StartsWith("dt1.", created.Secret);
        return created.Secret;
    }

    /// <summary>A batch of this test whose tasks stay queued (paused), with one task of group <paramref name="group"/> each.</summary>
    private async Task<(string Batch, Guid Mine, Guid Theirs)> PausedBatchAsync(string mine, string theirs)
    {
        var batch = $"scope-{Guid.NewGuid():N}";
        using var admin = _cluster.Client();
        await admin.BatchAsync(batch, "pause", Token);
        var created = await admin.CreateTasksAsync([
            Specs.Command("echo", "mine") with { Batch = batch, Group = mine },
            Specs.Command("echo", "theirs") with { Batch = batch, Group = theirs },
        ], Token);
        return (batch, created[0].Id, created[1].Id);
    }

    private static async Task<JsonElement> JsonAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync(Token)).RootElement;

    [Fact]
    public async Task A_token_is_created_with_its_secret_shown_once_listed_without_it_and_revoked()
    {
        var name = $"alice-{Guid.NewGuid():N}"[..20];
        using var adminHttp = _cluster.Http(_cluster.AdminToken);
        var response = await adminHttp.PostAsJsonAsync("api/tokens", new { name, role = "read", groups = new[] { "lab-x" }, expires = "90d" }, Token);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var body = await JsonAsync(response);
        var secret = body.GetProperty("secret").GetString()!;
        Assert.Equal("read", body.GetProperty("token").GetProperty("role").GetString());
        Assert.True(body.GetProperty("token").GetProperty("expires").GetDateTimeOffset() > DateTimeOffset.UtcNow.AddDays(89));

        var list = await adminHttp.GetStringAsync("api/tokens", Token);
        Assert.Contains($"\"{name}\"", list);
        Assert.Contains("\"source\":\"file\"", list);
        Assert.DoesNotContain(secret, list);
        Assert.DoesNotContain(secret[4..], list);

        using var http = _cluster.Http(secret);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("api/tasks", Token)).StatusCode);
        // Its last use is recorded.
        using var admin = _cluster.Client();
        await Eventually.ValueAsync(async () => (await admin.ListTokensAsync(Token)).Single(t => t.Name == name).LastUsed, used => used is not null,
            TimeSpan.FromSeconds(10), "the token's last use recorded");

        Assert.Equal(HttpStatusCode.NoContent, (await adminHttp.DeleteAsync($"api/tokens/{name}", Token)).StatusCode);
        var refused = await http.GetAsync("api/tasks", Token);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Contains("revoked", (await JsonAsync(refused)).GetProperty("detail").GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await adminHttp.DeleteAsync($"api/tokens/{name}", Token)).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await adminHttp.DeleteAsync("api/tokens/admin", Token)).StatusCode);
        Assert.DoesNotContain($"\"{name}\"", await adminHttp.GetStringAsync("api/tokens", Token));
    }

    [Theory]
    [InlineData("{\"role\": \"read\"}", "name")]
    [InlineData("{\"name\": \"has space\", \"role\": \"read\"}", "name")]
    [InlineData("{\"name\": \"admin\", \"role\": \"read\"}", "name")]
    [InlineData("{\"name\": \"x1\"}", "role")]
    [InlineData("{\"name\": \"x1\", \"role\": \"root\"}", "role")]
    [InlineData("{\"name\": \"x1\", \"role\": \"admin\", \"groups\": [\"a\"]}", "role")]
    [InlineData("{\"name\": \"x1\", \"role\": \"worker\", \"groups\": [\"a\"]}", "groups")]
    [InlineData("{\"name\": \"x1\", \"role\": \"read\", \"groups\": [\"\"]}", "groups")]
    [InlineData("{\"name\": \"x1\", \"role\": \"read\", \"expires\": \"soon\"}", "expires")]
    [InlineData("{\"name\": \"x1\", \"role\": \"read\", \"expires\": \"-1d\"}", "expires")]
    [InlineData("{\"name\": \"x1\", \"role\": \"read\", \"colour\": 1}", "colour")]
    public async Task A_bad_token_request_is_a_400_naming_the_field_and_creates_nothing(string body, string field)
    {
        using var http = _cluster.Http(_cluster.AdminToken);
        var response = await http.PostAsync("api/tokens", new StringContent(body, System.Text.Encoding.UTF8, "application/json"), Token);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True((await JsonAsync(response)).GetProperty("errors").TryGetProperty(field, out _), await response.Content.ReadAsStringAsync(Token));
        Assert.DoesNotContain("\"x1\"", await http.GetStringAsync("api/tokens", Token));
    }

    [Fact]
    public async Task Only_an_admin_manages_tokens()
    {
        foreach (var token in new[] { await CreateAsync("submit"), await CreateAsync("read"), _cluster.WorkerToken })
        {
            using var http = _cluster.Http(token);
            Assert.Equal(HttpStatusCode.Forbidden, (await http.GetAsync("api/tokens", Token)).StatusCode);
            Assert.Equal(HttpStatusCode.Forbidden, (await http.PostAsJsonAsync("api/tokens", new { name = "sneaky", role = "admin" }, Token)).StatusCode);
        }
    }

    [Fact]
    public async Task A_submit_token_creates_in_its_groups_and_never_sees_or_touches_another_groups_tasks()
    {
        var group = $"alice-{Guid.NewGuid():N}";
        var (batch, mine, theirs) = await PausedBatchAsync(group, "bob");
        using var http = _cluster.Http(await CreateAsync("submit", groups: [group, group + "-lab"]));

        // A task naming no group gets the token's first; naming another of its groups is fine; any other is a 403 naming the field.
        var created = await JsonAsync(await http.PostAsJsonAsync("api/tasks", new { command = new[] { "echo" }, batch }, Token));
        Assert.Equal(group, created.GetProperty("group").GetString());
        Assert.Equal(HttpStatusCode.Created, (await http.PostAsJsonAsync("api/tasks", new { command = new[] { "echo" }, batch, group = group + "-lab" }, Token)).StatusCode);
        var refused = await http.PostAsJsonAsync("api/tasks", new[] { new { command = new[] { "echo" }, batch, group = "bob" } }, Token);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.True((await JsonAsync(refused)).GetProperty("errors").TryGetProperty("[0].group", out _));
        // A task of another group is not there for it: not by id, not as a requirement, not by a client-chosen id.
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync($"api/tasks/{theirs}", Token)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.PostAsync($"api/tasks/{theirs}/cancel", null, Token)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.PostAsJsonAsync($"api/tasks/{theirs}/signal", new { signal = "kill" }, Token)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.PatchAsJsonAsync($"api/tasks/{theirs}", new { priority = 9 }, Token)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync($"api/tasks/{theirs}/executions", Token)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.PostAsJsonAsync("api/tasks/wait", new { ids = new[] { theirs }, timeout = 0 }, Token)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await http.PostAsJsonAsync("api/tasks", new { command = new[] { "echo" }, batch, requires = new[] { theirs } }, Token)).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await http.PostAsJsonAsync("api/tasks", new { id = theirs, command = new[] { "echo" }, batch }, Token)).StatusCode);

        // Queries are combined with the scope, whatever the filter says.
        foreach (var filter in new object[] { new { batch }, new { batch, group = "bob" }, new Dictionary<string, object> { ["$or"] = new object[] { new { group = "bob" }, new { batch } } } })
        {
            var found = await JsonAsync(await http.PostAsJsonAsync("api/tasks/query", new { filter, keys = new[] { "group" } }, Token));
            Assert.All(found.EnumerateArray(), t => Assert.StartsWith(group, t.GetProperty("group").GetString()));
            Assert.DoesNotContain(found.EnumerateArray(), t => t.GetProperty("id").GetGuid() == theirs);
        }
        Assert.Equal(3, (await JsonAsync(await http.PostAsJsonAsync("api/tasks/query", new { filter = new { batch }, count = true }, Token))).GetProperty("count").GetInt64());
        var listed = await JsonAsync(await http.GetAsync($"api/tasks?batch={batch}", Token));
        Assert.Equal(3, listed.GetArrayLength());
        Assert.Equal(0, (await JsonAsync(await http.GetAsync($"api/tasks?batch={batch}&group=bob", Token))).GetArrayLength());

        // Canceling its own works; the other group's task is untouched, and a purge of everything purges only its own.
        Assert.Equal(HttpStatusCode.OK, (await http.PostAsync($"api/tasks/{mine}/cancel", null, Token)).StatusCode);
        using var admin = _cluster.Client();
        await admin.BatchAsync(batch, "cancel", Token);
        var purged = await JsonAsync(await http.PostAsJsonAsync("api/tasks/purge", new { filter = new { } }, Token));
        Assert.True(purged.GetProperty("deleted").GetInt64() >= 3);
        Assert.NotNull(await admin.GetTaskAsync(theirs, Token));
        Assert.Null(await admin.GetTaskAsync(mine, Token));
    }

    [Fact]
    public async Task A_read_token_reads_its_scope_and_may_change_nothing()
    {
        var group = $"obs-{Guid.NewGuid():N}";
        var (batch, mine, theirs) = await PausedBatchAsync(group, "other");
        using var http = _cluster.Http(await CreateAsync("read", groups: [group]));
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync($"api/tasks/{mine}", Token)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync($"api/tasks/{theirs}", Token)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("api/workers", Token)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await http.PostAsJsonAsync("api/tasks", new { command = new[] { "echo" }, batch }, Token)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await http.PostAsync($"api/tasks/{mine}/cancel", null, Token)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await http.PostAsJsonAsync("api/tasks/purge", new { filter = new { } }, Token)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await http.PostAsync($"api/batches/{batch}/cancel", null, Token)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await http.DeleteAsync($"api/workers/{Guid.NewGuid()}", Token)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await http.GetAsync("api/recruiters", Token)).StatusCode);
        // Batch counts cover every group: a token scoped by group sees none.
        Assert.Equal(0, (await JsonAsync(await http.GetAsync("api/batches", Token))).GetArrayLength());
        using var admin = _cluster.Client();
        Assert.Equal(TaskState.Queued, (await admin.GetTaskAsync(mine, Token))!.Status);
        await admin.BatchAsync(batch, "cancel", Token);
    }

    [Fact]
    public async Task A_batch_scoped_submit_token_acts_on_its_batch_only()
    {
        var batch = $"own-{Guid.NewGuid():N}";
        using var http = _cluster.Http(await CreateAsync("submit", batches: [batch]));
        var created = await JsonAsync(await http.PostAsJsonAsync("api/tasks", new { command = new[] { "echo", "hi" } }, Token));
        Assert.Equal(batch, created.GetProperty("batch").GetString());
        Assert.Equal(HttpStatusCode.OK, (await http.PostAsync($"api/batches/{batch}/pause", null, Token)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.PostAsync($"api/batches/{batch}/resume", null, Token)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await http.PostAsync("api/batches/default/pause", null, Token)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await http.DeleteAsync($"api/batches/{batch}", Token)).StatusCode);
        var ended = await JsonAsync(await http.PostAsJsonAsync("api/tasks/wait", new { ids = new[] { created.GetProperty("id").GetString() }, timeout = 30 }, Token));
        Assert.Equal("succeeded", ended.GetProperty("done")[0].GetProperty("status").GetString());
        var batches = await JsonAsync(await http.GetAsync("api/batches", Token));
        Assert.Equal([batch], batches.EnumerateArray().Select(b => b.GetProperty("name").GetString()));
    }

    [Fact]
    public async Task A_follower_with_a_scoped_token_receives_only_its_scopes_tasks()
    {
        var group = $"follow-{Guid.NewGuid():N}";
        var secret = await CreateAsync("read", groups: [group]);
        using var http = _cluster.Http(secret);
        using var request = new HttpRequestMessage(HttpMethod.Get, "api/events?all=true");
        request.Headers.Accept.ParseAdd("text/event-stream");
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, Token);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await using var stream = await response.Content.ReadAsStreamAsync(Token);
        using var reader = new StreamReader(stream);

        using var admin = _cluster.Client();
        var other = await admin.CreateTaskAsync(Specs.Command("echo", "other") with { Group = group + "-not" }, Token);
        var mine = await admin.CreateTaskAsync(Specs.Command("echo", "mine") with { Group = group }, Token);
        await admin.WaitAsync([other.Id, mine.Id], TimeSpan.FromSeconds(30), Token);
        // Everything sent until my task's end, read as it comes: the other group's task never appears.
        var seen = "";
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(Token);
        deadline.CancelAfter(TimeSpan.FromSeconds(30));
        while (!(seen.Contains(mine.Id.ToString()) && seen.Contains("succeeded")))
            seen += await reader.ReadLineAsync(deadline.Token) + "\n";
        Assert.DoesNotContain(other.Id.ToString(), seen);
    }

    [Fact]
    public async Task An_expired_token_is_refused_saying_so()
    {
        using var http = _cluster.Http(await CreateAsync("read", expires: "1s"));
        await Task.Delay(TimeSpan.FromSeconds(1.5), Token);
        var response = await http.GetAsync("api/tasks", Token);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("expired", (await JsonAsync(response)).GetProperty("detail").GetString());
    }

    [Fact]
    public async Task A_worker_token_scoped_to_batches_registers_for_one_of_them_and_runs_its_tasks()
    {
        var batch = $"wk-{Guid.NewGuid():N}";
        var secret = await CreateAsync("worker", batches: [batch]);
        using var http = _cluster.Http(secret);
        var refused = await http.PostAsJsonAsync("api/workers", new { name = "scoped", concurrency = 1 }, Token);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.True((await JsonAsync(refused)).GetProperty("errors").TryGetProperty("batch", out _));
        Assert.Equal(HttpStatusCode.Forbidden, (await http.GetAsync("api/tasks", Token)).StatusCode);

        // A real worker process with that token serves the batch.
        await using var worker = DroverProcess.Start(["worker", "--server", _cluster.Url.ToString(), "--batch", batch, "--name", "scoped-worker"],
            new Dictionary<string, string> { ["DROVER_TOKEN"] = secret });
        await worker.WaitForLineAsync("registered as", TimeSpan.FromSeconds(30));
        using var admin = _cluster.Client();
        var task = await admin.CreateTaskAsync(Specs.Command("echo", "scoped") with { Batch = batch }, Token);
        var ended = await admin.WaitAsync([task.Id], TimeSpan.FromSeconds(30), Token);
        Assert.Equal(TaskState.Succeeded, Assert.Single(ended.Done).Status);
    }

    [Fact]
    public async Task The_cli_creates_lists_and_revokes_tokens()
    {
        var name = $"cli-{Guid.NewGuid():N}"[..16];
        var (code, output) = await _cluster.CliAsync("token", "create", "--name", name, "--role", "submit", "--groups", "g1,g2", "--expires", "30d");
        Assert.Equal(0, code);
        var secret = output.Split('\n').Select(l => l.Trim()).Single(l => l.StartsWith("dt1.", StringComparison.Ordinal));
        (code, output) = await _cluster.CliAsync("token", "list");
        Assert.Equal(0, code);
        Assert.Contains(name, output);
        Assert.Contains("g1,g2", output);
        Assert.DoesNotContain(secret, output);
        (code, output) = await DroverProcess.RunAsync(["submit", "--server", _cluster.Url.ToString(), "--token", secret, "--group", "g3", "--", "echo"]);
        Assert.NotEqual(0, code);
        Assert.Contains("group", output);
        (code, _) = await _cluster.CliAsync("token", "revoke", name);
        Assert.Equal(0, code);
        (code, output) = await DroverProcess.RunAsync(["tasks", "--server", _cluster.Url.ToString(), "--token", secret]);
        Assert.NotEqual(0, code);
        Assert.Contains("revoked", output);
    }

    [Fact]
    public async Task Destructive_calls_are_in_the_audit_log_with_who_what_and_the_answer()
    {
        var name = $"aud-{Guid.NewGuid():N}"[..16];
        var group = $"audit-{Guid.NewGuid():N}";
        var (batch, mine, theirs) = await PausedBatchAsync(group, "other");
        using var admin = _cluster.Client();
        var secret = (await admin.CreateTokenAsync(new TokenSpec { Name = name, Role = "submit", Groups = [group] }, Token)).Secret;
        using var http = _cluster.Http(secret);
        Assert.Equal(HttpStatusCode.OK, (await http.PostAsync($"api/tasks/{mine}/cancel", null, Token)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.PostAsync($"api/tasks/{theirs}/cancel", null, Token)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.PostAsJsonAsync("api/tasks/purge", new { filter = new { batch } }, Token)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await http.GetAsync("api/audit", Token)).StatusCode);

        using var adminHttp = _cluster.Http(_cluster.AdminToken);
        var found = await JsonAsync(await adminHttp.PostAsJsonAsync("api/audit/query", new { filter = new { token = name } }, Token));
        var entries = found.EnumerateArray().Select(e => (Action: e.GetProperty("action").GetString(), Target: e.TryGetProperty("target", out var t) ? t.GetString() : null,
            Status: e.GetProperty("status").GetInt32(), Role: e.GetProperty("role").GetString(), Address: e.GetProperty("address").GetString())).ToList();
        // Newest first; the refused cancel is there too, with its 404.
        Assert.Equal([("tasks.purge", null, 200), ("task.cancel", theirs.ToString(), 404), ("task.cancel", mine.ToString(), 200)],
            entries.Select(e => (e.Action, e.Target, e.Status)));
        Assert.All(entries, e => Assert.Equal(("submit", "127.0.0.1"), (e.Role, e.Address)));
        Assert.Contains(batch, found[0].GetProperty("detail").GetString());
        Assert.Contains(name, await adminHttp.GetStringAsync("api/audit?since=1h", Token));
        var bad = await adminHttp.PostAsJsonAsync("api/audit/query", new { filter = new { colour = "red" } }, Token);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("colour", await bad.Content.ReadAsStringAsync(Token));
        // Other bad audit requests: each a 400 naming its field.
        foreach (var (request, field) in new[]
        {
            (adminHttp.GetAsync("api/audit?since=yesterday", Token), "since"),
            (adminHttp.GetAsync("api/audit?limit=0", Token), "limit"),
            (adminHttp.PostAsJsonAsync("api/audit/query", new { limit = "ten" }, Token), "limit"),
            (adminHttp.PostAsJsonAsync("api/audit/query", new { limit = 1.5 }, Token), "limit"),
            (adminHttp.PostAsJsonAsync("api/audit/query", new { order = "asc" }, Token), "order"),
        })
        {
            var answer = await request;
            Assert.Equal(HttpStatusCode.BadRequest, answer.StatusCode);
            Assert.True((await JsonAsync(answer)).GetProperty("errors").TryGetProperty(field, out _), field);
        }

        await admin.RevokeTokenAsync(name, Token);
        var (code, output) = await _cluster.CliAsync("audit", "--filter", $"{{\"target\": \"{name}\"}}");
        Assert.Equal(0, code);
        Assert.Contains("token.revoke", output);
        Assert.Contains("admin", output);
        await admin.BatchAsync(batch, "cancel", Token);
    }

    [Fact]
    public async Task A_scoped_websocket_follower_cannot_follow_or_get_another_scopes_task()
    {
        var group = $"ws-{Guid.NewGuid():N}";
        var (batch, mine, theirs) = await PausedBatchAsync(group, "other");
        using var socket = new System.Net.WebSockets.ClientWebSocket();
        socket.Options.SetRequestHeader("Authorization", $"Bearer {await CreateAsync("read", groups: [group])}");
        await socket.ConnectAsync(new Uri($"ws://127.0.0.1:{_cluster.Port}/api/events"), Token);
        // Asked by id, both follow and get: only its own task comes back, now and when both change.
        await SendAsync(socket, new { subscribe = new { tasks = new[] { mine, theirs } } });
        await SendAsync(socket, new { get = new[] { mine, theirs } });
        var first = await ReceiveAsync(socket);
        Assert.Contains(mine.ToString(), first);
        Assert.DoesNotContain(theirs.ToString(), first);
        using var admin = _cluster.Client();
        await admin.CancelAsync(theirs, Token);
        await admin.CancelAsync(mine, Token);
        var seen = "";
        while (!seen.Contains("canceled", StringComparison.Ordinal)) seen += await ReceiveAsync(socket);
        Assert.Contains(mine.ToString(), seen);
        Assert.DoesNotContain(theirs.ToString(), seen);
        await admin.BatchAsync(batch, "cancel", Token);

        static async Task SendAsync(System.Net.WebSockets.ClientWebSocket socket, object message) =>
            await socket.SendAsync(System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(message), System.Net.WebSockets.WebSocketMessageType.Text, true, Token);

        static async Task<string> ReceiveAsync(System.Net.WebSockets.ClientWebSocket socket)
        {
            using var within = CancellationTokenSource.CreateLinkedTokenSource(Token);
            within.CancelAfter(TimeSpan.FromSeconds(30));
            var buffer = new byte[1 << 20];
            var text = new System.Text.StringBuilder();
            System.Net.WebSockets.WebSocketReceiveResult result;
            do
            {
                result = await socket.ReceiveAsync(buffer, within.Token);
                text.Append(System.Text.Encoding.UTF8.GetString(buffer, 0, result.Count));
            }
            while (!result.EndOfMessage);
            return text.ToString();
        }
    }
}
