using System.Net;
using System.Net.Http.Json;
using Drover.IntegrationTests.Infrastructure;

namespace Drover.IntegrationTests;

[Collection("cluster")]
public sealed class AuthTests(SharedCluster shared)
{
    private readonly DroverCluster _cluster = shared.Cluster;
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(null)]
    [InlineData("not-the-token")]
    public async Task Requests_without_a_valid_token_get_401_and_change_nothing(string? token)
    {
        var batch = $"auth-{Guid.NewGuid():N}";
        using var http = _cluster.Http(token);
        var response = await http.PostAsJsonAsync("api/tasks", new { command = new[] { "echo" }, batch }, Token);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync("api/tasks", Token)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.PostAsJsonAsync("api/workers", new { concurrency = 1 }, Token)).StatusCode);

        using var admin = _cluster.Client();
        Assert.Empty(await admin.ListTasksAsync(new Storage.TaskListFilter { Batch = batch }, Token));
    }

    [Fact]
    public async Task The_worker_token_is_good_only_for_the_worker_protocol()
    {
        using var http = _cluster.Http(_cluster.WorkerToken);
        Assert.Equal(HttpStatusCode.Forbidden, (await http.GetAsync("api/tasks", Token)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await http.PostAsJsonAsync("api/tasks", new { command = "echo" }, Token)).StatusCode);
        var register = await http.PostAsJsonAsync("api/workers", new { name = "token-test", concurrency = 1, batch = $"none-{Guid.NewGuid():N}" }, Token);
        Assert.Equal(HttpStatusCode.Created, register.StatusCode);
    }

    [Fact]
    public async Task Health_and_the_api_description_need_no_token()
    {
        using var http = _cluster.Http();
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("health", Token)).StatusCode);
        var openApi = await http.GetStringAsync("openapi/v1.json", Token);
        foreach (var path in new[] { "/api/tasks", "/api/tasks/{id}", "/api/tasks/wait", "/api/tasks/{id}/executions", "/api/executions/{id}", "/api/workers", "/api/workers/{id}/lease", "/api/workers/{id}/report",
            "/api/recruiters", "/api/recruiters/{batch}/{rank}", "/api/jobs", "/api/jobs/{id}", "/api/flavors" })
            Assert.Contains($"\"{path}\"", openApi);
        // The task's data and container fields are described, in the submitted spec and the record.
        foreach (var field in new[] { "input", "resource", "output", "output_on", "container", "container_options", "cache", "cached_from", "transfer", "staging_seconds",
            "tasks_per_worker", "maximum_workers", "worker_concurrency", "recyclable" })
            Assert.Contains($"\"{field}\"", openApi);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("swagger/index.html", Token)).StatusCode);
        // The bearer token is declared, so /swagger offers Authorize and generated clients send it.
        using var document = System.Text.Json.JsonDocument.Parse(openApi);
        var scheme = document.RootElement.GetProperty("components").GetProperty("securitySchemes").GetProperty("bearer");
        Assert.Equal(("http", "bearer"), (scheme.GetProperty("type").GetString(), scheme.GetProperty("scheme").GetString()));
        Assert.True(document.RootElement.GetProperty("security")[0].TryGetProperty("bearer", out _));
    }

    [Fact]
    public void Token_files_are_readable_by_their_owner_only()
    {
        foreach (var name in new[] { "admin.token", "worker.token" })
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(_cluster.DataDirectory, name)));
    }

    [Fact]
    public void A_token_file_is_never_seen_empty_while_the_server_makes_it()
    {
        // A reader of the data directory (a client, a test waiting for `drover up`) looks while the
        // tokens are made: it finds no file or the whole token, never a file still empty.
        var root = Directory.CreateTempSubdirectory("drover-tokens-");
        try
        {
            var seen = new List<string>();
            for (var round = 0; round < 200; round++)
            {
                var data = Path.Combine(root.FullName, round.ToString(System.Globalization.CultureInfo.InvariantCulture));
                var path = Path.Combine(data, Drover.Server.Auth.TokenFiles.AdminFileName);
                using var done = new ManualResetEventSlim();
                var reader = new Thread(() =>
                {
                    while (!done.IsSet)
                    {
                        try
                        {
                            if (File.Exists(path)) lock (seen) seen.Add(File.ReadAllText(path).Trim());
                        }
                        catch (IOException)
                        {
                        }
                    }
                });
                reader.Start();
                var tokens = Drover.Server.Auth.TokenFiles.LoadOrCreate(data);
                done.Set();
                reader.Join();
                Assert.Equal(tokens.AdminToken, File.ReadAllText(path).Trim());
                Assert.Equal(tokens, Drover.Server.Auth.TokenFiles.LoadOrCreate(data));
                Assert.Equal([Drover.Server.Auth.TokenFiles.AdminFileName, Drover.Server.Auth.TokenFiles.WorkerFileName],
                    Directory.GetFiles(data).Select(Path.GetFileName).Where(f => f!.EndsWith(".token", StringComparison.Ordinal) || f.Contains(".new", StringComparison.Ordinal)).Order());
            }
            lock (seen) Assert.All(seen, token => Assert.Equal(64, token.Length));
        }
        finally
        {
            root.Delete(recursive: true);
        }
    }
}
