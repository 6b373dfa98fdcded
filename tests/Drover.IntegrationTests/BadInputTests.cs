using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Drover.IntegrationTests.Infrastructure;

namespace Drover.IntegrationTests;

/// <summary>Every bad request gets a 400 problem detail that names the field, and writes nothing.</summary>
[Collection("cluster")]
public sealed class BadInputTests(SharedCluster shared)
{
    private readonly DroverCluster _cluster = shared.Cluster;
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private async Task<JsonElement> PostAsync(string path, string body, HttpStatusCode expected = HttpStatusCode.BadRequest)
    {
        using var http = _cluster.Http(_cluster.AdminToken);
        // As curl does for large bodies: the server may refuse before the body is sent.
        http.DefaultRequestHeaders.ExpectContinue = true;
        var response = await http.PostAsync(path, new StringContent(body, Encoding.UTF8, "application/json"), Token);
        Assert.Equal(expected, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return await response.Content.ReadFromJsonAsync<JsonElement>(Token);
    }

    private static void AssertNames(JsonElement problem, string field) =>
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"expected an error for '{field}' in {problem}");

    [Theory]
    [InlineData("""{"command": ["echo"], "batch": "BATCH", """, "body")]
    [InlineData("""{"command": ["echo"], "batch": "BATCH", "comand": "x"}""", "comand")]
    [InlineData("""{"command": [], "batch": "BATCH"}""", "command")]
    [InlineData("""{"command": "", "batch": "BATCH"}""", "command")]
    [InlineData("""{"batch": "BATCH"}""", "command")]
    [InlineData("""{"command": ["echo"], "batch": "BATCH", "retry": -1}""", "retry")]
    [InlineData("""{"command": ["echo"], "batch": "BATCH", "retry": "many"}""", "retry")]
    [InlineData("""{"command": ["echo"], "batch": "BATCH", "timeout": "-3s"}""", "timeout")]
    [InlineData("""{"command": ["echo"], "batch": "BATCH", "timeout": -3}""", "timeout")]
    [InlineData("""{"command": ["echo"], "batch": "BATCH", "id": "12345"}""", "id")]
    [InlineData("""{"command": ["echo"], "batch": "BATCH", "priority": 1.5}""", "priority")]
    [InlineData("""[{"command": ["echo"], "batch": "BATCH"}, {"command": [], "batch": "BATCH"}]""", "[1].command")]
    [InlineData("""[]""", "body")]
    [InlineData("""42""", "body")]
    [InlineData("""[{"id": "0194a1b2-0000-7000-8000-00000000d0b1", "command": ["echo"], "batch": "BATCH"}, {"id": "0194a1b2-0000-7000-8000-00000000d0b1", "command": ["true"], "batch": "BATCH"}]""", "id")]
    public async Task A_bad_task_is_refused_naming_the_field_and_nothing_is_written(string body, string field)
    {
        var batch = $"bad-{Guid.NewGuid():N}";
        var problem = await PostAsync("api/tasks", body.Replace("BATCH", batch, StringComparison.Ordinal));
        AssertNames(problem, field);
        Assert.Equal(400, problem.GetProperty("status").GetInt32());
        using var client = _cluster.Client();
        Assert.Empty(await client.ListTasksAsync(new Storage.TaskListFilter { Batch = batch }, Token));
    }

    [Fact]
    public async Task A_body_shorter_than_its_declared_length_is_refused_and_creates_nothing()
    {
        // The server reads a body into an array of its declared length (up to 1 MiB): a client that
        // declares 600 KB, sends one task's worth and stops sending has gone away (Kestrel closes the
        // connection without an answer, sometimes by a reset, or answers 400); no task is made of the part, and the server serves on.
        var batch = $"short-{Guid.NewGuid():N}";
        // A whole JSON value: only the declared length says that more was to come.
        var body = Encoding.UTF8.GetBytes($$"""[{"command": ["echo"], "batch": "{{batch}}"}]""");
        using var socket = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        await socket.ConnectAsync(IPAddress.Loopback, _cluster.Port, Token);
        var head = $"POST /api/tasks HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {_cluster.AdminToken}\r\n" +
            "Content-Type: application/json\r\nContent-Length: 600000\r\n\r\n";
        await socket.SendAsync(Encoding.ASCII.GetBytes(head), Token);
        await socket.SendAsync(body, Token);
        socket.Shutdown(System.Net.Sockets.SocketShutdown.Send);
        var answer = new StringBuilder();
        var buffer = new byte[4096];
        try
        {
            int read;
            while ((read = await socket.ReceiveAsync(buffer, Token)) > 0) answer.Append(Encoding.UTF8.GetString(buffer, 0, read));
        }
        catch (System.Net.Sockets.SocketException ex) when (ex.SocketErrorCode == System.Net.Sockets.SocketError.ConnectionReset)
        {
            // Closed by a reset rather than a FIN: no answer either.
        }
        Assert.True(answer.Length == 0 || answer.ToString().StartsWith("HTTP/1.1 400", StringComparison.Ordinal), answer.ToString());
        using var client = _cluster.Client();
        Assert.True(await client.IsReachableAsync(TimeSpan.FromSeconds(5), Token));
        Assert.Empty(await client.ListTasksAsync(new Storage.TaskListFilter { Batch = batch }, Token));
    }

    [Theory]
    [InlineData("soon")]
    [InlineData("-5s")]
    public async Task A_bad_wait_on_create_names_the_parameter_and_creates_nothing(string wait)
    {
        var batch = $"bad-wait-{Guid.NewGuid():N}";
        AssertNames(await PostAsync($"api/tasks?wait={wait}", $$"""{"command": ["echo"], "batch": "{{batch}}"}"""), "wait");
        using var client = _cluster.Client();
        Assert.Empty(await client.ListTasksAsync(new Storage.TaskListFilter { Batch = batch }, Token));
    }

    [Fact]
    public async Task Create_with_wait_answers_with_the_ended_task_or_as_it_is_at_the_timeout()
    {
        using var client = _cluster.Client();
        var quick = Assert.Single(await client.CreateTasksAsync([Specs.Command("echo", "hi")], Token, wait: TimeSpan.FromSeconds(30)));
        Assert.Equal(Model.TaskState.Succeeded, quick.Status);
        var slow = Assert.Single(await client.CreateTasksAsync([Specs.Shell("sleep 30")], Token, wait: TimeSpan.FromMilliseconds(200)));
        Assert.False(Model.TaskStateRules.IsEnded(slow.Status));
        await client.CancelTaskAsync(slow.Id, Token);
        // Sent again with its id, an ended task comes back at once, as it is.
        var again = Assert.Single(await client.CreateTasksAsync([Specs.Command("echo", "hi") with { Id = quick.Id.ToString() }], Token, wait: TimeSpan.FromSeconds(30)));
        Assert.Equal((quick.Id, Model.TaskState.Succeeded), (again.Id, again.Status));
    }

    [Fact]
    public async Task A_body_over_the_size_limit_is_refused()
    {
        var batch = $"big-{Guid.NewGuid():N}";
        var huge = JsonSerializer.Serialize(new { command = new[] { "echo", new string('x', 17 * 1024 * 1024) }, batch });
        AssertNames(await PostAsync("api/tasks", huge), "body");
        using var client = _cluster.Client();
        Assert.Empty(await client.ListTasksAsync(new Storage.TaskListFilter { Batch = batch }, Token));
    }

    [Fact]
    public async Task Ids_that_are_not_uuids_or_do_not_exist_are_told_apart()
    {
        using var http = _cluster.Http(_cluster.AdminToken);
        var malformed = await http.GetAsync("api/tasks/not-a-uuid", Token);
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
        AssertNames(await malformed.Content.ReadFromJsonAsync<JsonElement>(Token), "id");
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync($"api/tasks/{Guid.CreateVersion7()}", Token)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync($"api/tasks/{Guid.CreateVersion7()}/executions", Token)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync($"api/executions/{Guid.CreateVersion7()}", Token)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync($"api/workers/{Guid.CreateVersion7()}", Token)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.DeleteAsync($"api/tasks/{Guid.CreateVersion7()}", Token)).StatusCode);
    }

    [Theory]
    [InlineData("status=done", "status")]
    [InlineData("limit=0", "limit")]
    [InlineData("limit=lots", "limit")]
    [InlineData("after=xyz", "after")]
    [InlineData("worker_id=1", "worker_id")]
    public async Task Bad_list_filters_name_the_parameter(string query, string field)
    {
        using var http = _cluster.Http(_cluster.AdminToken);
        var response = await http.GetAsync($"api/tasks?{query}", Token);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        AssertNames(await response.Content.ReadFromJsonAsync<JsonElement>(Token), field);
    }

    [Theory]
    [InlineData("""{"ids": []}""", "ids")]
    [InlineData("""{"ids": ["nope"]}""", "ids")]
    [InlineData("""{"ids": ["01a2001d-5277-7489-94c7-ca38ad2ef500"], "timeout": "-1s"}""", "timeout")]
    [InlineData("""{"ids": ["01a2001d-5277-7489-94c7-ca38ad2ef500"], "extra": 1}""", "extra")]
    public async Task Bad_waits_name_the_field(string body, string field) =>
        AssertNames(await PostAsync("api/tasks/wait", body), field);

    [Fact]
    public async Task Waiting_for_an_unknown_task_is_a_404() =>
        await PostAsync("api/tasks/wait", $$"""{"ids": ["{{Guid.CreateVersion7()}}"]}""", HttpStatusCode.NotFound);

    [Theory]
    [InlineData("""{"concurrency": 0}""", "concurrency")]
    [InlineData("""{"concurrency": 1, "prefetch": -1}""", "prefetch")]
    [InlineData("""{"concurrency": 1, "colour": "red"}""", "colour")]
    public async Task Bad_worker_registrations_name_the_field(string body, string field) =>
        AssertNames(await PostAsync("api/workers", body), field);

    [Theory]
    [InlineData("""{"signal": "stop"}""", "signal")]
    [InlineData("""{}""", "signal")]
    [InlineData("""{"signal": "kill", "now": true}""", "now")]
    public async Task Bad_signals_name_the_field(string body, string field) =>
        AssertNames(await PostAsync($"api/tasks/{Guid.CreateVersion7()}/signal", body), field);

    [Theory]
    [InlineData("""{}""", "body")]
    [InlineData("""{"progress": -0.1}""", "progress")]
    [InlineData("""{"message": 3}""", "message")]
    public async Task Bad_status_updates_name_the_field(string body, string field) =>
        AssertNames(await PostAsync($"api/tasks/{Guid.CreateVersion7()}/status", body), field);

    [Theory]
    [InlineData("queue=0", "queue")]
    [InlineData("queue=many", "queue")]
    [InlineData("task=nope", "task")]
    public async Task Bad_event_subscriptions_name_the_parameter(string query, string field)
    {
        using var http = _cluster.Http(_cluster.AdminToken);
        using var request = new HttpRequestMessage(HttpMethod.Get, $"api/events?{query}");
        request.Headers.Accept.ParseAdd("text/event-stream");
        var response = await http.SendAsync(request, Token);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        AssertNames(await response.Content.ReadFromJsonAsync<JsonElement>(Token), field);
    }

    [Fact]
    public async Task Settings_for_an_unknown_worker_are_a_404_and_bad_ones_name_the_field()
    {
        using var http = _cluster.Http(_cluster.AdminToken);
        var unknown = await http.PatchAsync($"api/workers/{Guid.CreateVersion7()}", new StringContent("""{"paused": true}""", Encoding.UTF8, "application/json"), Token);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.DeleteAsync($"api/workers/{Guid.CreateVersion7()}", Token)).StatusCode);
        var bad = await http.PatchAsync($"api/workers/{Guid.CreateVersion7()}", new StringContent("""{"batch": "   ", "paused": "yes"}""", Encoding.UTF8, "application/json"), Token);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        AssertNames(await bad.Content.ReadFromJsonAsync<JsonElement>(Token), "paused");
    }

    [Theory]
    [InlineData("""{}""", "token")]
    [InlineData("""{"token": ""}""", "token")]
    [InlineData("""{"token": 42}""", "token")]
    [InlineData("""[1]""", "token")]
    [InlineData("""{"token": """, "body")]
    public async Task A_bad_dashboard_login_names_the_field_and_sets_no_cookie(string body, string field)
    {
        using var http = _cluster.Http(token: null);
        var response = await http.PostAsync("api/session", new StringContent(body, Encoding.UTF8, "application/json"), Token);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        AssertNames(await response.Content.ReadFromJsonAsync<JsonElement>(Token), field);
        Assert.False(response.Headers.Contains("Set-Cookie"));
    }

    [Fact]
    public async Task Dashboard_sessions_are_refused_when_wrong_forged_or_sent_from_another_origin()
    {
        // Cookies sent by hand, as a browser would send them: no cookie container.
        using var http = new HttpClient(new HttpClientHandler { UseCookies = false }) { BaseAddress = _cluster.Url };
        var wrong = await http.PostAsync("api/session", new StringContent("""{"token": "nope"}""", Encoding.UTF8, "application/json"), Token);
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.False(wrong.Headers.Contains("Set-Cookie"));

        var login = await http.PostAsync("api/session", new StringContent(JsonSerializer.Serialize(new { token = _cluster.AdminToken }), Encoding.UTF8, "application/json"), Token);
        Assert.Equal(HttpStatusCode.NoContent, login.StatusCode);
        var cookie = login.Headers.GetValues("Set-Cookie").Single();
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", cookie, StringComparison.OrdinalIgnoreCase);
        var session = cookie.Split(';')[0];

        async Task<HttpStatusCode> GetWithAsync(string cookieHeader, string? origin = null)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "api/batches");
            request.Headers.Add("Cookie", cookieHeader);
            if (origin is not null) request.Headers.Add("Origin", origin);
            return (await http.SendAsync(request, Token)).StatusCode;
        }
        Assert.Equal(HttpStatusCode.OK, await GetWithAsync(session));
        Assert.Equal(HttpStatusCode.OK, await GetWithAsync(session, $"http://127.0.0.1:{_cluster.Port}"));
        Assert.Equal(HttpStatusCode.Unauthorized, await GetWithAsync(session, "http://evil.example"));
        var forged = session[..session.LastIndexOf('.')] + ".AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
        Assert.Equal(HttpStatusCode.Unauthorized, await GetWithAsync(forged));
        var parts = session.Split('.');
        var later = $"drover_session=s2.99999999999.{parts[2]}.{parts[3]}";
        Assert.Equal(HttpStatusCode.Unauthorized, await GetWithAsync(later)); // its expiry is signed

        // Logging out ends the session on the server: the same cookie, sent again, is refused.
        var other = (await http.PostAsync("api/session", new StringContent(JsonSerializer.Serialize(new { token = _cluster.AdminToken }), Encoding.UTF8, "application/json"), Token))
            .Headers.GetValues("Set-Cookie").Single().Split(';')[0];
        using var logout = new HttpRequestMessage(HttpMethod.Delete, "api/session");
        logout.Headers.Add("Cookie", session);
        Assert.Equal(HttpStatusCode.NoContent, (await http.SendAsync(logout, Token)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, await GetWithAsync(session));
        Assert.Equal(HttpStatusCode.OK, await GetWithAsync(other)); // another session goes on
    }

    [Theory]
    [InlineData("""{"priority": "high"}""", "priority")]
    [InlineData("""{"priority": 1.5}""", "priority")]
    [InlineData("""{"retry": -1}""", "retry")]
    [InlineData("""{"timeout": "-3s"}""", "timeout")]
    [InlineData("""{"timeout": "soon"}""", "timeout")]
    [InlineData("""{"name": 5}""", "name")]
    [InlineData("""{"name": ""}""", "name")]
    [InlineData("""{"command": []}""", "command")]
    [InlineData("""{"command": ["make"], "handler": "resize"}""", "handler")]
    [InlineData("""{"args": {"width": 3}}""", "command")]
    [InlineData("""{"shell": "two words", "command": "make"}""", "shell")]
    [InlineData("""{"env": {"A=B": "x"}}""", "env")]
    [InlineData("""{"env": {"A": 1}}""", "env")]
    [InlineData("""{"frobnicate": 1}""", "frobnicate")]
    [InlineData("""{}""", "body")]
    [InlineData("""[1]""", "body")]
    public async Task A_bad_task_update_names_the_field_and_changes_nothing(string body, string field)
    {
        using var client = _cluster.Client();
        var batch = $"patch-{Guid.NewGuid():N}";
        // Pending behind a long task: it stays as it is while the test looks.
        var blocker = await client.CreateTaskAsync(Specs.Shell("sleep 30") with { Batch = batch }, Token);
        var task = await client.CreateTaskAsync(Specs.Command("true") with { Batch = batch, Name = "before", Requires = [blocker.Id.ToString()] }, Token);
        using var http = _cluster.Http(_cluster.AdminToken);
        var response = await http.PatchAsync($"api/tasks/{task.Id}", new StringContent(body, Encoding.UTF8, "application/json"), Token);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        AssertNames(await response.Content.ReadFromJsonAsync<JsonElement>(Token), field);
        var after = (await client.GetTaskAsync(task.Id, Token))!;
        Assert.Equal(("before", 0, 0), (after.Name, after.Priority, after.Retry));
        Assert.Equal(["true"], after.Command!);
        await client.CancelTaskAsync(blocker.Id, Token);
    }

    [Fact]
    public async Task A_task_update_changes_a_live_task_refuses_an_ended_one_and_404s_an_unknown_one()
    {
        using var client = _cluster.Client();
        var task = await client.CreateTaskAsync(Specs.Shell("sleep 30") with { Batch = $"patch-{Guid.NewGuid():N}" }, Token);
        var updated = await client.UpdateTaskAsync(task.Id, new { name = "renamed", priority = 7, retry = 2, timeout = "10m" }, Token);
        Assert.Equal(("renamed", 7, 2, TimeSpan.FromMinutes(10)), (updated.Name, updated.Priority, updated.Retry, updated.Timeout));
        // Started: its definition stays.
        for (var i = 0; i < 200 && (await client.GetTaskAsync(task.Id, Token))!.Status != Model.TaskState.Running; i++) await Task.Delay(50, Token);
        var started = await Assert.ThrowsAsync<Client.DroverApiException>(() => client.UpdateTaskAsync(task.Id, new { command = "true" }, Token));
        Assert.Equal((HttpStatusCode.Conflict, "The task has started."), (started.Status, started.Title));
        await client.CancelTaskAsync(task.Id, Token);
        var ended = await Assert.ThrowsAsync<Client.DroverApiException>(() => client.UpdateTaskAsync(task.Id, new { priority = 1 }, Token));
        Assert.Equal(HttpStatusCode.Conflict, ended.Status);
        Assert.Equal("again", (await client.UpdateTaskAsync(task.Id, new { name = "again" }, Token)).Name);
        var missing = await Assert.ThrowsAsync<Client.DroverApiException>(() => client.UpdateTaskAsync(Guid.NewGuid(), new { priority = 1 }, Token));
        Assert.Equal(HttpStatusCode.NotFound, missing.Status);
    }

    [Fact]
    public async Task A_task_not_started_yet_takes_a_new_definition_and_runs_it()
    {
        using var client = _cluster.Client();
        var batch = $"redefine-{Guid.NewGuid():N}";
        var blocker = await client.CreateTaskAsync(Specs.Shell("sleep 1") with { Batch = batch }, Token);
        var task = await client.CreateTaskAsync(Specs.Command("echo", "old") with { Batch = batch, Requires = [blocker.Id.ToString()], Env = new() { ["WHO"] = "drover" } }, Token);
        var redefined = await client.UpdateTaskAsync(task.Id, new { command = "echo new $WHO", shell = true }, Token);
        Assert.Equal(("sh", "drover"), (redefined.Shell, redefined.Env!["WHO"])); // env kept
        var ended = (await client.WaitAllAsync([task.Id], Token)).Single();
        Assert.Equal("new drover\n", (await client.GetTaskAsync(ended.Id, Token))!.Stdout);
    }

    [Fact]
    public async Task A_timeout_longer_than_one_timer_can_wait_runs_on_the_worker()
    {
        // 300 days: past the ~49.7 days a .NET timer takes in one wait, within the 365 days allowed.
        using var client = _cluster.Client();
        var task = await client.CreateTaskAsync(Specs.Command("echo", "long").WithTimeout("300d"), Token);
        var ended = (await client.WaitAllAsync([task.Id], Token)).Single();
        Assert.Equal(Model.TaskState.Succeeded, ended.Status);
        Assert.Equal(TimeSpan.FromDays(300), ended.Timeout);
    }
}
