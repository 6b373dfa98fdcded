using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Drover.IntegrationTests.Infrastructure;
using Drover.Tests.Shared;

namespace Drover.IntegrationTests;

/// <summary>
/// Inputs an attacker or a broken client sends: each is a 4xx problem detail that names the field,
/// never a 500, and changes nothing; the same answer from every store (one subclass per store).
/// </summary>
public abstract class HostileInputTests(HostileServer server)
{
    protected static CancellationToken Token => TestContext.Current.CancellationToken;

    private DroverCluster Cluster => server.Cluster;

    private static readonly byte[] InvalidUtf8 = [0xff, 0xfe, 0x41];

    /// <summary>A JSON body whose one string is made of raw bytes.</summary>
    private static byte[] WithRawString(string template, byte[] raw)
    {
        var at = template.IndexOf("RAW", StringComparison.Ordinal);
        return [.. Encoding.UTF8.GetBytes(template[..at]), .. raw, .. Encoding.UTF8.GetBytes(template[(at + 3)..])];
    }

    private async Task<(HttpStatusCode Status, JsonElement Body)> SendAsync(HttpMethod method, string path, byte[] body, bool authorized = true)
    {
        using var http = Cluster.Http(authorized ? Cluster.AdminToken : null);
        using var request = new HttpRequestMessage(method, path) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new("application/json");
        var response = await http.SendAsync(request, Token);
        var text = await response.Content.ReadAsStringAsync(Token);
        Assert.True(response.StatusCode != HttpStatusCode.InternalServerError, $"{method} {path}: 500 {text}");
        return (response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }

    private async Task<JsonElement> RefusedAsync(HttpMethod method, string path, byte[] body, string field, bool authorized = true)
    {
        var (status, problem) = await SendAsync(method, path, body, authorized);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"expected an error for '{field}' in {problem}");
        return problem;
    }

    private Task<JsonElement> RefusedAsync(HttpMethod method, string path, string body, string field) =>
        RefusedAsync(method, path, Encoding.UTF8.GetBytes(body), field);

    public static TheoryData<string, string, string, string> BadText => new()
    {
        // method, path, body (RAW: the bad bytes go there), field
        { "POST", "api/tasks", """{"command": ["echo", "RAW"]}""", "command[1]" },
        { "PATCH", "api/tasks/ID", """{"name": "RAW"}""", "name" },
        { "POST", "api/tasks/query", """{"filter": {"name": "RAW"}}""", "filter.name" },
        { "POST", "api/tasks/resubmit", """{"filter": {"name": "RAW"}}""", "filter.name" },
        { "POST", "api/tasks/purge", """{"filter": {"name": "RAW"}}""", "filter.name" },
        { "POST", "api/tasks/wait", """{"ids": ["RAW"]}""", "ids[0]" },
        { "POST", "api/session", """{"token": "RAW"}""", "token" },
        { "POST", "api/tasks", """{"command": ["echo"], "env": {"RAW": "x"}}""", "env" },
    };

    [Theory]
    [MemberData(nameof(BadText))]
    public async Task Invalid_utf8_is_a_400_naming_the_field(string method, string path, string template, string field) =>
        await RefusedAsync(new HttpMethod(method), await PathAsync(path), WithRawString(template, InvalidUtf8), field, authorized: !path.EndsWith("session", StringComparison.Ordinal));

    [Theory]
    [MemberData(nameof(BadText))]
    public async Task A_lone_surrogate_is_a_400_naming_the_field(string method, string path, string template, string field) =>
        await RefusedAsync(new HttpMethod(method), await PathAsync(path), WithRawString(template, "\\ud800"u8.ToArray()), field, authorized: !path.EndsWith("session", StringComparison.Ordinal));

    [Theory]
    [InlineData("""{"command": ["echo"], "name": "aRAWb"}""", "name")]
    [InlineData("""{"command": ["echo"], "batch": "RAW"}""", "batch")]
    [InlineData("""{"command": ["echo"], "group": "RAW"}""", "group")]
    [InlineData("""{"handler": "eRAWcho"}""", "handler")]
    [InlineData("""{"command": ["echo", "RAW"]}""", "command[1]")]
    [InlineData("""[{"command": ["echo"]}, {"command": ["echo"], "env": {"A": "RAW"}}]""", "[1].env.A")]
    public async Task A_nul_character_is_a_400_in_every_store(string template, string field)
    {
        var batch = $"nul-{Guid.NewGuid():N}";
        await RefusedAsync(HttpMethod.Post, "api/tasks", WithRawString(template.Replace("""["echo"]}""", $$"""["echo"], "batch": "{{batch}}"}""", StringComparison.Ordinal), "\\u0000"u8.ToArray()), field);
        await RefusedAsync(HttpMethod.Post, "api/tasks/query", WithRawString("""{"filter": {"name": "RAW"}}""", "\\u0000"u8.ToArray()), "filter.name");
        using var client = Cluster.Client();
        Assert.Empty(await client.ListTasksAsync(new Storage.TaskListFilter { Batch = batch }, Token));
    }

    [Theory]
    [InlineData("""{"command": ["echo"], "timeout": -1e308}""", "timeout")]
    [InlineData("""{"command": ["echo"], "timeout": 123456789012345678901234567890}""", "timeout")]
    [InlineData("""{"command": ["echo"], "timeout": "366d"}""", "timeout")]
    [InlineData("""{"command": ["echo"], "timeout": "99999999999999999999999d"}""", "timeout")]
    [InlineData("""{"command": ["echo"], "priority": 123456789012345678901234567890}""", "priority")]
    [InlineData("""{"command": ["echo"], "retry": 123456789012345678901234567890}""", "retry")]
    public async Task Numbers_out_of_range_on_create_are_a_400(string body, string field) =>
        await RefusedAsync(HttpMethod.Post, "api/tasks", body, field);

    [Theory]
    [InlineData("""{"timeout": -1e308}""", "timeout")]
    [InlineData("""{"timeout": 123456789012345678901234567890}""", "timeout")]
    [InlineData("""{"timeout": "400d"}""", "timeout")]
    [InlineData("""{"priority": 123456789012345678901234567890}""", "priority")]
    [InlineData("""{"retry": 123456789012345678901234567890}""", "retry")]
    public async Task Numbers_out_of_range_on_update_are_a_400(string body, string field) =>
        await RefusedAsync(HttpMethod.Patch, await PathAsync("api/tasks/ID"), body, field);

    [Theory]
    [InlineData("""{"ids": ["ID"], "timeout": -1e308}""", "timeout")]
    [InlineData("""{"ids": ["ID"], "timeout": 123456789012345678901234567890}""", "timeout")]
    [InlineData("""{"ids": ["ID"], "retry": 123456789012345678901234567890}""", "retry")]
    public async Task Numbers_out_of_range_on_wait_are_a_400(string body, string field) =>
        await RefusedAsync(HttpMethod.Post, "api/tasks/wait", body.Replace("ID", (await TaskIdAsync()).ToString(), StringComparison.Ordinal), field);

    [Theory]
    [InlineData("""{}""", "events")]
    [InlineData("""{"events": null}""", "events")]
    [InlineData("""{"events": [null]}""", "events[0]")]
    [InlineData("""{"events": [], "held": null, "state": "flying"}""", "state")]
    public async Task A_report_without_events_is_a_400(string body, string field)
    {
        var worker = await RegisterAsync();
        await RefusedAsync(HttpMethod.Post, $"api/workers/{worker}/report", body, field);
    }

    [Fact]
    public async Task A_lease_for_a_worker_never_registered_is_always_a_404()
    {
        var stranger = Guid.CreateVersion7();
        foreach (var max in new[] { 0, 1 })
        {
            var (idle, _) = await SendAsync(HttpMethod.Post, $"api/workers/{stranger}/lease", Encoding.UTF8.GetBytes($$"""{"max": {{max}}, "wait": 0.5}"""));
            Assert.Equal(HttpStatusCode.NotFound, idle);
        }
        await TaskIdAsync();
        foreach (var max in new[] { 0, 1 })
        {
            var (busy, _) = await SendAsync(HttpMethod.Post, $"api/workers/{stranger}/lease", Encoding.UTF8.GetBytes($$"""{"max": {{max}}, "wait": 0.5}"""));
            Assert.Equal(HttpStatusCode.NotFound, busy);
        }
    }

    [Fact]
    public async Task A_catastrophic_regex_is_answered_at_once_or_refused_saying_why()
    {
        using var client = Cluster.Client();
        await client.CreateTaskAsync(Specs.Command("true") with { Name = new string('a', 200) + "!", Batch = $"re-{Guid.NewGuid():N}" }, Token);
        var (status, body) = await SendAsync(HttpMethod.Post, "api/tasks/query", Encoding.UTF8.GetBytes("""{"filter": {"name": {"$regex": "^(a+)+$"}}, "count": true}"""));
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(0, body.GetProperty("count").GetInt32());
        // What the linear-time engine cannot do is refused up front, naming the operator.
        await RefusedAsync(HttpMethod.Post, "api/tasks/query", """{"filter": {"name": {"$regex": "(a)\\1"}}}""", "filter.name.$regex");
        await RefusedAsync(HttpMethod.Post, "api/tasks/query", $$"""{"filter": {"name": {"$regex": "{{new string('a', 2000)}}"}""" + "}}", "filter.name.$regex");
    }

    [Fact]
    public async Task Filters_with_thousands_of_terms_are_answered_and_larger_ones_refused_with_the_limit()
    {
        var id = await TaskIdAsync();
        var ids = Enumerable.Range(0, 40_000).Select(_ => Guid.CreateVersion7().ToString()).Append(id.ToString()).ToList();
        var (inStatus, inBody) = await SendAsync(HttpMethod.Post, "api/tasks/query", JsonSerializer.SerializeToUtf8Bytes(new { filter = new { id = new Dictionary<string, object> { ["$in"] = ids } }, count = true }));
        Assert.Equal(HttpStatusCode.OK, inStatus);
        Assert.Equal(1, inBody.GetProperty("count").GetInt32());

        var terms = Enumerable.Range(0, 1_500).Select(i => (object)new { name = $"n{i}" }).Append(new { id = id.ToString() }).ToList();
        var (orStatus, orBody) = await SendAsync(HttpMethod.Post, "api/tasks/query", JsonSerializer.SerializeToUtf8Bytes(new { filter = new Dictionary<string, object> { ["$or"] = terms }, count = true }));
        Assert.Equal(HttpStatusCode.OK, orStatus);
        Assert.Equal(1, orBody.GetProperty("count").GetInt32());
        var (andStatus, _) = await SendAsync(HttpMethod.Post, "api/tasks/query", JsonSerializer.SerializeToUtf8Bytes(new { filter = new Dictionary<string, object> { ["$and"] = terms }, count = true }));
        Assert.Equal(HttpStatusCode.OK, andStatus);

        var tooMany = Enumerable.Range(0, 100_001).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToList();
        var problem = await RefusedAsync(HttpMethod.Post, "api/tasks/query", JsonSerializer.SerializeToUtf8Bytes(new { filter = new { name = new Dictionary<string, object> { ["$in"] = tooMany } } }), "filter.name.$in");
        Assert.Contains("100000", problem.ToString());
        var manyTerms = Enumerable.Range(0, 5_001).Select(i => (object)new { name = $"n{i}" }).ToList();
        var termsProblem = await RefusedAsync(HttpMethod.Post, "api/tasks/query", JsonSerializer.SerializeToUtf8Bytes(new { filter = new Dictionary<string, object> { ["$or"] = manyTerms } }), "filter");
        Assert.Contains("at most 5000", termsProblem.ToString());
        var deep = string.Concat(Enumerable.Repeat("""{"$not": """, 40)) + """{"name": "x"}""" + new string('}', 40);
        var deepProblem = await RefusedAsync(HttpMethod.Post, "api/tasks/query", $$"""{"filter": {{deep}}}""", "filter");
        Assert.Contains("deep", deepProblem.ToString());
    }

    [Fact]
    public async Task Small_endpoints_refuse_large_bodies_and_a_huge_bad_array_gets_a_short_answer()
    {
        var padded = Encoding.UTF8.GetBytes($$"""{"signal": "kill", "pad": "{{new string('x', 2 * 1024 * 1024)}}"}""");
        var problem = await RefusedAsync(HttpMethod.Post, $"api/tasks/{Guid.CreateVersion7()}/signal", padded, "body");
        Assert.Contains("1 MiB", problem.ToString());

        var bad = Encoding.UTF8.GetBytes("[" + string.Join(",", Enumerable.Repeat("""{"command": []}""", 90_000)) + "]");
        var answer = await RefusedAsync(HttpMethod.Post, "api/tasks", bad, "[0].command");
        var errors = answer.GetProperty("errors");
        Assert.True(errors.EnumerateObject().Count() <= 101, $"{errors.EnumerateObject().Count()} errors listed");
        Assert.False(errors.TryGetProperty("[100].command", out _));
    }

    [Fact]
    public async Task A_malformed_chunked_body_is_a_400()
    {
        using var socket = new TcpClient();
        await socket.ConnectAsync(IPAddress.Loopback, Cluster.Port, Token);
        await using var stream = socket.GetStream();
        var request = $"POST /api/tasks HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {Cluster.AdminToken}\r\n" +
                      "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n" +
                      "5\r\n{\"com\r\nZZZ\r\nnot a chunk\r\n0\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request), Token);
        var buffer = new byte[4096];
        var read = await stream.ReadAsync(buffer, Token);
        var answer = Encoding.ASCII.GetString(buffer, 0, read);
        Assert.StartsWith("HTTP/1.1 400", answer);
    }

    /// <summary>Fills in a path's ID with a task that exists and stays pending (behind a requirement that never starts).</summary>
    private async Task<string> PathAsync(string path) =>
        path.Contains("ID", StringComparison.Ordinal) ? path.Replace("ID", (await TaskIdAsync()).ToString(), StringComparison.Ordinal) : path;

    private async Task<Guid> TaskIdAsync()
    {
        using var client = Cluster.Client();
        return (await client.CreateTaskAsync(Specs.Command("true") with { Batch = $"hostile-{Guid.NewGuid():N}" }, Token)).Id;
    }

    private async Task<Guid> RegisterAsync()
    {
        using var http = Cluster.Http(Cluster.WorkerToken);
        var response = await http.PostAsJsonAsync("api/workers", new { name = "probe", concurrency = 1, batch = "nothing-here" }, Token);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonElement>(Token)).GetProperty("worker").GetProperty("id").GetGuid();
    }
}

/// <summary>One server (no workers) per store, shared by that store's hostile-input tests.</summary>
public abstract class HostileServer : IAsyncLifetime
{
    public DroverCluster Cluster { get; private set; } = null!;

    protected abstract Task<DroverCluster> CreateAsync();

    public async ValueTask InitializeAsync()
    {
        Cluster = await CreateAsync();
        await Cluster.StartServerAsync();
    }

    public virtual async ValueTask DisposeAsync()
    {
        await Cluster.DisposeAsync();
        GC.SuppressFinalize(this);
    }
}

public sealed class SqliteHostileServer : HostileServer
{
    protected override Task<DroverCluster> CreateAsync() => Task.FromResult(new DroverCluster());
}

public sealed class MemoryHostileServer : HostileServer
{
    protected override Task<DroverCluster> CreateAsync() => Task.FromResult(new DroverCluster(store: "memory"));
}

public sealed class PostgresHostileServer(PostgresServer postgres) : HostileServer
{
    private string _database = "";

    protected override async Task<DroverCluster> CreateAsync()
    {
        _database = await postgres.CreateDatabaseAsync();
        return new DroverCluster(store: "postgres", extraServerArgs: ["--postgres", _database]);
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        await postgres.DropDatabaseAsync(_database);
    }
}

public sealed class HostileInputSqliteTests(SqliteHostileServer server) : HostileInputTests(server), IClassFixture<SqliteHostileServer>;

public sealed class HostileInputMemoryTests(MemoryHostileServer server) : HostileInputTests(server), IClassFixture<MemoryHostileServer>;

[Collection("postgres")]
public sealed class HostileInputPostgresTests(PostgresHostileServer server) : HostileInputTests(server), IClassFixture<PostgresHostileServer>;
