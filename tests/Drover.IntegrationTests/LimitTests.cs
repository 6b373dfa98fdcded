using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using Drover.IntegrationTests.Infrastructure;

namespace Drover.IntegrationTests;

/// <summary>Requests per token, failed authentications per address, and JSON depth (issue 18), each on a server of its own.</summary>
public sealed class LimitTests : IAsyncLifetime
{
    private readonly string _directory = Directory.CreateTempSubdirectory("drover-limits-").FullName;
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync()
    {
        Directory.Delete(_directory, recursive: true);
        return ValueTask.CompletedTask;
    }

    private async Task<(DroverProcess Server, Uri Url, string Admin, string Worker)> StartAsync(params string[] options)
    {
        var port = FreePort.Next();
        var data = Path.Combine(_directory, "d" + port.ToString(CultureInfo.InvariantCulture));
        var server = DroverProcess.Start(["server", "--port", port.ToString(CultureInfo.InvariantCulture), "--data", data, "--store", "memory", .. options]);
        await server.WaitForLineAsync("listening on", TimeSpan.FromSeconds(30));
        return (server, new Uri($"http://127.0.0.1:{port}/"), File.ReadAllText(Path.Combine(data, "admin.token")).Trim(), File.ReadAllText(Path.Combine(data, "worker.token")).Trim());
    }

    private static HttpClient Http(Uri url, string? token)
    {
        var http = new HttpClient { BaseAddress = url };
        if (token is not null) http.DefaultRequestHeaders.Authorization = new("Bearer", token);
        return http;
    }

    [Fact]
    public async Task A_token_past_its_rate_gets_429_with_retry_after_and_the_worker_protocol_does_not()
    {
        var (server, url, admin, worker) = await StartAsync("--rate-limit", "5");
        await using var _ = server;
        using var http = Http(url, admin);
        var answers = await Task.WhenAll(Enumerable.Range(0, 40).Select(_ => http.GetAsync("api/tasks", Token)));
        var refused = answers.Where(a => a.StatusCode == HttpStatusCode.TooManyRequests).ToList();
        Assert.NotEmpty(refused);
        Assert.All(answers, a => Assert.True(a.StatusCode is HttpStatusCode.OK or HttpStatusCode.TooManyRequests, a.StatusCode.ToString()));
        Assert.True(refused[0].Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1));
        Assert.Equal("application/problem+json", refused[0].Content.Headers.ContentType?.MediaType);
        Assert.Contains("--rate-limit", await refused[0].Content.ReadAsStringAsync(Token));

        using var workerHttp = Http(url, worker);
        var registered = await workerHttp.PostAsJsonAsync("api/workers", new { name = "w", concurrency = 1 }, Token);
        var id = (await registered.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>(Token)).GetProperty("worker").GetProperty("id").GetString();
        var leases = await Task.WhenAll(Enumerable.Range(0, 40).Select(_ => workerHttp.PostAsJsonAsync($"api/workers/{id}/lease", new { max = 0, wait = 0 }, Token)));
        Assert.All(leases, a => Assert.Equal(HttpStatusCode.OK, a.StatusCode));
    }

    [Fact]
    public async Task A_resilient_client_waits_out_a_429_and_a_fail_fast_one_is_told()
    {
        var (server, url, admin, _) = await StartAsync("--rate-limit", "2");
        await using var _ = server;
        using (var failFast = new Client.DroverClient(url, admin, Client.DroverClientOptions.FailFast))
        {
            var refused = await Assert.ThrowsAsync<Client.DroverApiException>(async () =>
            {
                for (var i = 0; i < 20; i++) await failFast.ListWorkersAsync(Token);
            });
            Assert.Equal(HttpStatusCode.TooManyRequests, refused.Status);
            Assert.True(refused.RetryAfter >= TimeSpan.FromSeconds(1));
        }
        // Twice the bucket and more: some are refused, waited out (Retry-After) and sent again.
        using var client = new Client.DroverClient(url, admin, new Client.DroverClientOptions { ReadTimeout = TimeSpan.FromSeconds(60), WriteTimeout = TimeSpan.FromSeconds(60) });
        for (var i = 0; i < 12; i++) Assert.Empty(await client.ListWorkersAsync(Token));
        for (var i = 0; i < 8; i++) await client.SubmitAsync(Specs.Command("echo", $"{i}") with { Batch = "limited" }, Token);
        Assert.Equal(8, (await client.ListTasksAsync(new Storage.TaskListFilter { Batch = "limited" }, Token)).Count);
    }

    [Fact]
    public async Task An_address_that_fails_to_authenticate_too_often_waits_out_the_minute()
    {
        var (server, url, admin, _) = await StartAsync("--auth-failure-limit", "3");
        await using var _ = server;
        using var guessing = Http(url, "guess");
        for (var i = 0; i < 3; i++) Assert.Equal(HttpStatusCode.Unauthorized, (await guessing.GetAsync("api/tasks", Token)).StatusCode);
        var blocked = await guessing.GetAsync("api/tasks", Token);
        Assert.Equal(HttpStatusCode.TooManyRequests, blocked.StatusCode);
        Assert.True(blocked.Headers.RetryAfter?.Delta > TimeSpan.Zero);
        Assert.Contains("failed authentications", await blocked.Content.ReadAsStringAsync(Token));
        // From that address a valid token still works (workers behind the same address are not locked out); /health needs none.
        using var right = Http(url, admin);
        Assert.Equal(HttpStatusCode.OK, (await right.GetAsync("api/tasks", Token)).StatusCode);
        using var forged = Http(url, "dt1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
        Assert.Equal(HttpStatusCode.TooManyRequests, (await forged.GetAsync("api/tasks", Token)).StatusCode);
        using var anonymous = Http(url, null);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("health", Token)).StatusCode);
    }

    [Fact]
    public async Task Json_nested_deeper_than_an_endpoint_takes_is_a_400()
    {
        var (server, url, admin, _) = await StartAsync();
        await using var _ = server;
        using var http = Http(url, admin);
        var deep = "{\"signal\": " + new string('[', 40) + new string(']', 40) + "}";
        var response = await http.PostAsync($"api/tasks/{Guid.CreateVersion7()}/signal", new StringContent(deep, Encoding.UTF8, "application/json"), Token);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("depth", await response.Content.ReadAsStringAsync(Token));
        // A task's args may nest deeper (up to 64).
        var args = new string('[', 40) + new string(']', 40);
        var created = await http.PostAsync("api/tasks", new StringContent($"{{\"handler\": \"echo\", \"args\": {args}}}", Encoding.UTF8, "application/json"), Token);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var tooDeep = new string('[', 70) + new string(']', 70);
        Assert.Equal(HttpStatusCode.BadRequest,
            (await http.PostAsync("api/tasks", new StringContent($"{{\"handler\": \"echo\", \"args\": {tooDeep}}}", Encoding.UTF8, "application/json"), Token)).StatusCode);
    }
}
