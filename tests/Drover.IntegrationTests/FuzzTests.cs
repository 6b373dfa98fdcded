using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Drover.Contracts;
using Drover.IntegrationTests.Infrastructure;
using Drover.Model;
using Drover.Tests.Shared;

namespace Drover.IntegrationTests;

/// <summary>
/// A generated, seeded fuzz suite over every endpoint the OpenAPI document lists (issue 18): hostile
/// bodies (malformed, deep, huge numbers, invalid UTF-8, unknown fields, SQL- and regex-bomb strings),
/// path tricks in ids, and every kind of caller (none, forged tokens, admin, scoped submit and read
/// tokens, the worker token, a scoped dashboard session). Every answer must be a 4xx with problem
/// details or a success, never a 5xx or a hang; a scoped caller never sees another scope's task; and
/// those tasks are exactly as they were, while no task appears that no 201 announced.
/// </summary>
public abstract class FuzzTests(HostileServer server)
{
    public const int Seed = 18;
    public const int Requests = 4000;
    private static CancellationToken Token => TestContext.Current.CancellationToken;
    private DroverCluster Cluster => server.Cluster;

    /// <summary>Endpoints that stop the server or its workers: left out (their refusals are covered by the role tests).</summary>
    private static readonly string[] Excluded = ["/api/admin/stop-all", "/api/admin/stop-workers"];

    /// <summary>Logging out would end the session caller's session early (logout has tests of its own).</summary>
    private static readonly (string Method, string Template)[] ExcludedCalls = [("DELETE", "/api/session")];

    private sealed record Caller(string Name, string? Authorization, string? Cookie, bool Scoped, bool Admin);

    [Fact]
    public async Task Hostile_requests_from_every_caller_get_a_4xx_problem_and_change_nothing_they_may_not()
    {
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var (batch, mine, theirs) = ($"fuzz-{suffix}", $"fuzz-mine-{suffix}", $"fuzz-theirs-{suffix}");
        using var admin = Cluster.Client();
        await admin.BatchAsync(batch, "pause", Token);
        var ours = (await admin.CreateTasksAsync([.. Enumerable.Range(0, 3).Select(i => Specs.Command("echo", $"{i}") with { Batch = batch, Group = mine })], Token)).Select(t => t.Id).ToList();
        var others = await admin.CreateTasksAsync([.. Enumerable.Range(0, 3).Select(i => Specs.Command("echo", $"{i}") with { Batch = batch, Group = theirs, Name = $"theirs-{i}" })], Token);
        var otherIds = others.Select(t => t.Id).ToList();
        var submit = (await admin.CreateTokenAsync(new TokenSpec { Name = $"fuzz-submit-{suffix}", Role = "submit", Groups = [mine] }, Token)).Secret;
        var read = (await admin.CreateTokenAsync(new TokenSpec { Name = $"fuzz-read-{suffix}", Role = "read", Groups = [mine] }, Token)).Secret;
        var before = await AllTaskIdsAsync(admin);

        Caller[] callers =
        [
            new("none", null, null, false, false),
            new("forged named", "Bearer dt1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", null, false, false),
            new("forged task", "Bearer t1.forged.token", null, false, false),
            new("forged worker", "Bearer w1.forged.token", null, false, false),
            new("sql", "Bearer ' OR '1'='1", null, false, false),
            new("basic", "Basic YWRtaW46YWRtaW4=", null, false, false),
            new("long", "Bearer " + new string('A', 8000), null, false, false),
            new("admin", "Bearer " + Cluster.AdminToken, null, false, true),
            new("submit", "Bearer " + submit, null, true, false),
            new("read", "Bearer " + read, null, true, false),
            new("worker", "Bearer " + Cluster.WorkerToken, null, false, false),
            new("session", null, await SessionCookieAsync(read), true, false),
            new("bad session", null, "drover_session=s3.9999999999.x.YWRtaW4.forged", false, false),
        ];
        var endpoints = await EndpointsAsync();
        Assert.True(endpoints.Count > 40, $"only {endpoints.Count} endpoints in the OpenAPI document");

        var created = new ConcurrentBag<Guid>();
        var answers = new ConcurrentDictionary<(string Caller, int Status), int>();
        var failures = new ConcurrentQueue<string>();
        using var http = new HttpClient { BaseAddress = Cluster.Url, Timeout = TimeSpan.FromSeconds(20) };
        var started = DateTime.UtcNow;
        // First every caller against every endpoint once, naming the other scope's tasks and batch (the
        // admin: its own), with an empty object for a body; then hostile requests drawn at random.
        var sweep = endpoints.SelectMany(e => callers.Select(c => (e.Method, e.Template, Caller: c))).ToList();
        await Parallel.ForEachAsync(Enumerable.Range(0, sweep.Count + Requests), new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = Token }, async (i, ct) =>
        {
            var random = new Random(Seed * 100_003 + i);
            string method, template, path;
            Caller caller;
            if (i < sweep.Count)
            {
                (method, template, caller) = sweep[i];
                path = Fill(template, random, caller.Admin ? ours : otherIds, caller.Admin ? "default" : batch, tricks: false);
            }
            else
            {
                // Creating tasks is the busiest endpoint: one request in ten goes there.
                (method, template) = random.Next(10) == 0 ? ("POST", "/api/tasks") : endpoints[random.Next(endpoints.Count)];
                caller = callers[random.Next(callers.Length)];
                // The admin may do anything, so it never names the other scope's tasks or their batch (its changes would be intended).
                path = Fill(template, random, caller.Admin ? [.. ours, Guid.CreateVersion7()] : [.. ours, .. otherIds, Guid.CreateVersion7()], caller.Admin ? "default" : batch);
            }
            using var request = new HttpRequestMessage(new HttpMethod(method), path);
            if (caller.Authorization is { } authorization) request.Headers.TryAddWithoutValidation("Authorization", authorization);
            if (caller.Cookie is { } cookie) request.Headers.TryAddWithoutValidation("Cookie", cookie);
            if (method is "POST" or "PUT" or "PATCH") request.Content = i < sweep.Count ? EmptyObject() : Body(random);
            // A connection of its own: one the server closed after refusing a request is never reused for the next.
            request.Headers.ConnectionClose = true;
            var label = $"#{i} {caller.Name} {method} {path}";
            HttpResponseMessage response;
            try
            {
                response = await http.SendAsync(request, ct);
            }
            catch (TaskCanceledException) when (!ct.IsCancellationRequested)
            {
                failures.Enqueue($"{label}: no answer within 20 s");
                return;
            }
            catch (HttpRequestException ex)
            {
                // A body larger than the endpoint takes (or than an unauthenticated caller is read for) is
                // answered before it is read, and the connection closed: the client may see its write fail.
                if (!(request.Content?.Headers.ContentLength > 1024 * 1024)) failures.Enqueue($"{label}: the connection failed without an answer ({ex.Message})");
                return;
            }
            using (response)
            {
                var text = await response.Content.ReadAsStringAsync(ct);
                var status = (int)response.StatusCode;
                answers.AddOrUpdate((caller.Name, status), 1, (_, n) => n + 1);
                if (status >= 500) failures.Enqueue($"{label}: {status} {text[..Math.Min(300, text.Length)]}");
                // A NUL in the path is refused by Kestrel itself, before any of Drover's code: a bare 400.
                else if (status >= 400 && response.Content.Headers.ContentType?.MediaType != "application/problem+json" && !(status == 400 && path.Contains("%00") && text.Length == 0))
                    failures.Enqueue($"{label}: {status} without problem details ({response.Content.Headers.ContentType})");
                else if (status < 300 && caller.Scoped && otherIds.Any(id => text.Contains(id.ToString(), StringComparison.Ordinal)))
                    failures.Enqueue($"{label}: a scoped caller saw another scope's task");
                if (status == 201 && template == "/api/tasks" && method == "POST")
                {
                    using var answer = JsonDocument.Parse(text);
                    foreach (var task in answer.RootElement.ValueKind == JsonValueKind.Array ? [.. answer.RootElement.EnumerateArray()] : new[] { answer.RootElement })
                        created.Add(task.GetProperty("id").GetGuid());
                }
            }
        });
        var took = DateTime.UtcNow - started;
        Assert.True(failures.IsEmpty, $"{failures.Count} bad answers of {sweep.Count + Requests}:\n" + string.Join("\n", failures.Take(30)));
        Assert.True(took < TimeSpan.FromMinutes(2), $"{Requests} requests took {took}");
        // The suite reaches the handlers, not only the door: scoped callers get answers, and some tasks are created.
        var histogram = string.Join(", ", answers.OrderBy(a => a.Key).Select(a => $"{a.Key.Caller} {a.Key.Status}: {a.Value}"));
        Assert.True(answers.Any(a => a.Key.Caller == "read" && a.Key.Status == 200) && answers.Any(a => a.Key.Caller == "submit" && a.Key.Status == 403)
            && answers.Any(a => a.Key.Status == 400) && answers.Any(a => a.Key.Status == 404) && !created.IsEmpty, histogram);
        TestContext.Current.SendDiagnosticMessage(histogram);

        // The other scope's tasks are exactly as they were, and every task there now was there before or announced by a 201.
        var after = new List<TaskRecord>();
        foreach (var id in otherIds) after.Add((await admin.GetTaskAsync(id, Token))!);
        Assert.Equal(others.Select(t => (t.Id, t.Status, t.Name, t.Priority, t.Group, t.Batch, t.Attempts)),
            after.Select(t => (t.Id, t.Status, t.Name, t.Priority, t.Group, t.Batch, t.Attempts)));
        var phantoms = (await AllTaskIdsAsync(admin)).Except(before).Except(created).ToList();
        Assert.Empty(phantoms);
        await admin.BatchAsync(batch, "cancel", Token);
    }

    private static async Task<HashSet<Guid>> AllTaskIdsAsync(Client.DroverClient admin)
    {
        var ids = new HashSet<Guid>();
        Guid? after = null;
        while (true)
        {
            var page = await admin.ListTasksAsync(new Storage.TaskListFilter { After = after, Limit = Storage.TaskListFilter.MaxLimit }, Token);
            foreach (var task in page) ids.Add(task.Id);
            if (page.Count < Storage.TaskListFilter.MaxLimit) return ids;
            after = page[^1].Id;
        }
    }

    private async Task<string> SessionCookieAsync(string secret)
    {
        using var http = new HttpClient(new HttpClientHandler { UseCookies = false }) { BaseAddress = Cluster.Url };
        var response = await http.PostAsJsonAsync("api/session", new { token = secret }, Token);
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        return response.Headers.GetValues("Set-Cookie").Single().Split(';')[0];
    }

    /// <summary>Every (method, path template) of the OpenAPI document, but those that stop the server.</summary>
    private async Task<List<(string Method, string Template)>> EndpointsAsync()
    {
        using var http = Cluster.Http(Cluster.AdminToken);
        using var document = JsonDocument.Parse(await http.GetStringAsync("openapi/v1.json", Token));
        return [.. document.RootElement.GetProperty("paths").EnumerateObject()
            .Where(p => !Excluded.Contains(p.Name))
            .SelectMany(p => p.Value.EnumerateObject().Select(m => (m.Name.ToUpperInvariant(), p.Name)))
            .Where(call => !ExcludedCalls.Contains(call))];
    }

    private static readonly string[] Tricks =
    [
        "not-a-uuid", "..%2F..%2Fetc%2Fpasswd", "%00", "%2e%2e", "00000000-0000-0000-0000-000000000000", "'%20OR%20'1'%3D'1", "%F0%9F%92%A9", "-1", "99999999999999999999",
        new string('a', 3000), "admin", "worker", "default", "%5Cu0000",
    ];

    private static string Fill(string template, Random random, List<Guid> ids, string batch, bool tricks = true)
    {
        var path = template;
        while (path.IndexOf('{') is var start and >= 0)
        {
            var end = path.IndexOf('}', start);
            var name = path[(start + 1)..end];
            var value = (tricks ? random.Next(3) : 1 + random.Next(2)) switch
            {
                0 => Tricks[random.Next(Tricks.Length)],
                1 when name is "name" or "batch" => batch,
                1 when name == "rank" => "1",
                _ => ids[random.Next(ids.Count)].ToString(),
            };
            path = path[..start] + value + path[(end + 1)..];
        }
        return path.TrimStart('/');
    }

    private static readonly string[] Keys =
    [
        "name", "role", "groups", "batches", "expires", "batch", "group", "filter", "ids", "command", "shell", "args", "env", "retry", "timeout", "priority",
        "requires", "concurrency", "prefetch", "prefetch_auto", "paused", "signal", "message", "progress", "level", "seconds", "source", "files", "workers", "deadline",
        "token", "keys", "sort", "limit", "skip", "count", "events", "max", "wait", "by", "agg", "where", "format", "maximum_workers", "tasks_per_worker", "id", "colour",
    ];

    private static readonly string[] Strings =
    [
        "", " ", "x'; DROP TABLE tasks; --", "' OR 1=1 --", "../../../etc/passwd", "(a+)+$", "((((a*)*)*)*)*b", "\u0000", "\ud800", "%s%s%s%n", "${jndi:ldap://x}",
        "<script>alert(1)</script>", "echo fuzz", "admin", "submit", "read", "worker", "1e400", "-1", "30s", "-5m", "90d", "kill", "pause", "debug", "file:///etc/",
        "s3://bucket/", "http://127.0.0.1:1/", new string('x', 70_000),
    ];

    private static ByteArrayContent EmptyObject()
    {
        var content = new ByteArrayContent("{}"u8.ToArray());
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }

    /// <summary>A hostile body: one of the known shapes, or a random document over the fields endpoints take.</summary>
    private static ByteArrayContent Body(Random random)
    {
        byte[] bytes = random.Next(18) switch
        {
            0 => [],
            1 => "{"u8.ToArray(),
            2 => Encoding.UTF8.GetBytes(new string('[', 5000) + new string(']', 5000)),
            3 => "{\"timeout\": 1e400, \"retry\": 123456789012345678901234567890, \"priority\": -9223372036854775809}"u8.ToArray(),
            4 => [0x7B, 0x22, 0x6E, 0x61, 0x6D, 0x65, 0x22, 0x3A, 0x22, 0xC3, 0x28, 0xFF, 0x22, 0x7D],
            5 => "{\"filter\": {\"name\": {\"$regex\": \"(a+)+$\"}}, \"limit\": 10}"u8.ToArray(),
            6 => "{\"filter\": {\"$where\": \"sleep(10)\", \"status\": {\"$in\": [1, {\"$gt\": null}]}}}"u8.ToArray(),
            7 => "[{\"command\": [\"echo\", \"fuzz\"]}, {\"command\": \"echo fuzz\", \"shell\": true, \"group\": \"elsewhere\"}]"u8.ToArray(),
            8 => Encoding.UTF8.GetBytes("{\"name\": \"" + new string('n', 2 * 1024 * 1024) + "\"}"),
            9 => "null"u8.ToArray(),
            10 => "{\"command\": [\"echo\"]} {\"command\": [\"echo\"]}"u8.ToArray(),
            11 or 12 => "{\"command\": [\"echo\", \"fuzz\"], \"name\": \"x'; DROP TABLE tasks; --\", \"env\": {\"A\": \"$(rm -rf /)\"}}"u8.ToArray(),
            _ => Encoding.UTF8.GetBytes(RandomDocument(random, 0).ToJsonString()),
        };
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }

    private static System.Text.Json.Nodes.JsonNode RandomDocument(Random random, int depth)
    {
        var document = new System.Text.Json.Nodes.JsonObject();
        for (var i = random.Next(1, 5); i > 0; i--) document[Keys[random.Next(Keys.Length)]] = RandomValue(random, depth + 1);
        return document;
    }

    private static System.Text.Json.Nodes.JsonNode? RandomValue(Random random, int depth) => random.Next(depth > 3 ? 6 : 9) switch
    {
        0 => null,
        1 => random.Next(2) == 0,
        2 => random.Next(5) switch { 0 => long.MaxValue, 1 => long.MinValue, 2 => -1, 3 => 0, _ => random.Next(1_000_000) },
        3 => random.NextDouble() * (random.Next(2) == 0 ? 1e300 : -1),
        4 or 5 => Strings[random.Next(Strings.Length)],
        6 => new System.Text.Json.Nodes.JsonArray([.. Enumerable.Range(0, random.Next(4)).Select(_ => RandomValue(random, depth + 1))]),
        7 => RandomDocument(random, depth),
        _ => Guid.CreateVersion7().ToString(),
    };
}

/// <summary>A server of its own per store, with the rate and failed-authentication limits off: the fuzz suite is one flood from one address.</summary>
public sealed class SqliteFuzzServer : HostileServer
{
    protected override Task<DroverCluster> CreateAsync() =>
        Task.FromResult(new DroverCluster(extraServerArgs: ["--rate-limit", "0", "--auth-failure-limit", "0"]));
}

public sealed class PostgresFuzzServer(PostgresServer postgres) : HostileServer
{
    private string _database = "";

    protected override async Task<DroverCluster> CreateAsync()
    {
        _database = await postgres.CreateDatabaseAsync();
        return new DroverCluster(store: "postgres", extraServerArgs: ["--postgres", _database, "--rate-limit", "0", "--auth-failure-limit", "0"]);
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        await postgres.DropDatabaseAsync(_database);
    }
}

public sealed class FuzzSqliteTests(SqliteFuzzServer server) : FuzzTests(server), IClassFixture<SqliteFuzzServer>;

[Collection("postgres")]
public sealed class FuzzPostgresTests(PostgresFuzzServer server) : FuzzTests(server), IClassFixture<PostgresFuzzServer>;
