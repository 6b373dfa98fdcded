using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Drover.IntegrationTests.Infrastructure;

namespace Drover.IntegrationTests;

/// <summary>Bad recruiter bodies and job queries get a 400 naming the field, and change nothing.</summary>
[Collection("cluster")]
public sealed class RecruiterBadInputTests(SharedCluster shared)
{
    private readonly DroverCluster _cluster = shared.Cluster;
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private async Task<JsonElement> SendAsync(HttpMethod method, string path, string? body, HttpStatusCode expected)
    {
        using var http = _cluster.Http(_cluster.AdminToken);
        using var request = new HttpRequestMessage(method, path);
        if (body is not null) request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        var response = await http.SendAsync(request, Token);
        Assert.Equal(expected, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>(Token);
    }

    [Theory]
    [InlineData("""{"batch": "BATCH", "rank": 1, "provider": "local", "maximum_workers": -1, "tasks_per_worker": 50}""", "maximum_workers")]
    [InlineData("""{"batch": "BATCH", "rank": 1, "provider": "local", "maximum_workers": 4, "tasks_per_worker": 0}""", "tasks_per_worker")]
    [InlineData("""{"batch": "BATCH", "rank": -1, "provider": "local", "maximum_workers": 4, "tasks_per_worker": 50}""", "rank")]
    [InlineData("""{"batch": "BATCH", "rank": 1, "provider": "local", "maximum_workers": 4, "tasks_per_worker": 50, "minimum_tasks": -5}""", "minimum_tasks")]
    [InlineData("""{"batch": "BATCH", "rank": 1, "provider": "local", "maximum_workers": 4, "tasks_per_worker": 50, "worker_concurrency": 0}""", "worker_concurrency")]
    [InlineData("""{"batch": "BATCH", "rank": 1, "provider": "local", "maximum_workers": 4, "tasks_per_worker": 50, "worker_prefetch": -1}""", "worker_prefetch")]
    [InlineData("""{"batch": "BATCH", "rank": 1, "provider": "aws", "maximum_workers": 4, "tasks_per_worker": 50}""", "provider")]
    [InlineData("""{"batch": "BATCH", "rank": 1, "provider": "local", "flavor": "huge", "maximum_workers": 4, "tasks_per_worker": 50}""", "flavor")]
    [InlineData("""{"batch": "BATCH", "rank": 1, "provider": "local", "flavor": "auto:cpus>=100000", "maximum_workers": 4, "tasks_per_worker": 50}""", "flavor")]
    [InlineData("""{"batch": "BATCH", "rank": 1, "provider": "local", "flavor": "auto:gpus>=1", "maximum_workers": 4, "tasks_per_worker": 50}""", "flavor")]
    [InlineData("""{"batch": "BATCH", "rank": 1, "provider": "local", "maximum_workers": "many", "tasks_per_worker": 50}""", "maximum_workers")]
    [InlineData("""{"batch": "BATCH", "rank": 1, "provider": "local", "maximum_workers": 4, "tasks_per_worker": 50, "max_workers": 3}""", "max_workers")]
    [InlineData("""{"rank": 1, "provider": "local", "maximum_workers": 4, "tasks_per_worker": 50}""", "batch")]
    [InlineData("""{"batch": "BATCH", "rank": 1, "provider": "", "maximum_workers": 4, "tasks_per_worker": 50}""", "provider")]
    [InlineData("""{"batch": "  ", "maximum_workers": 4, "tasks_per_worker": 50}""", "batch")]
    [InlineData("""{"batch": "BATCH", "rank": 1, "provider": "local", "tasks_per_worker": 50}""", "maximum_workers")]
    [InlineData("""[1, 2]""", "body")]
    public async Task A_bad_recruiter_is_a_400_naming_the_field_and_is_not_created(string body, string field)
    {
        var batch = $"bad-{Guid.NewGuid():N}";
        var problem = await SendAsync(HttpMethod.Post, "api/recruiters", body.Replace("BATCH", batch, StringComparison.Ordinal), HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"expected an error for '{field}' in {problem}");
        using var client = _cluster.Client();
        Assert.DoesNotContain(await client.ListRecruitersAsync(Token), r => r.Batch == batch);
    }

    [Fact]
    public async Task A_recruiter_needs_only_its_batch_and_numbers_and_takes_rank_1_and_the_local_provider()
    {
        var batch = $"defaults-{Guid.NewGuid():N}";
        var created = await SendAsync(HttpMethod.Post, "api/recruiters", $$"""{"batch": "{{batch}}", "maximum_workers": 1, "tasks_per_worker": 1000000}""", HttpStatusCode.Created);
        Assert.Equal((1, "local", 1, 0), (created.GetProperty("rank").GetInt32(), created.GetProperty("provider").GetString(),
            created.GetProperty("worker_concurrency").GetInt32(), created.GetProperty("minimum_tasks").GetInt32()));
        Assert.False(created.TryGetProperty("worker_prefetch", out _)); // auto
        await SendAsync(HttpMethod.Delete, $"api/recruiters/{batch}/1", null, HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_recruiter_is_changed_in_place_and_bad_changes_are_refused()
    {
        var batch = $"patch-{Guid.NewGuid():N}";
        await SendAsync(HttpMethod.Post, "api/recruiters",
            $$"""{"batch": "{{batch}}", "rank": 2, "provider": "local", "maximum_workers": 1, "tasks_per_worker": 1000000}""", HttpStatusCode.Created);
        // The same rank again replaces it.
        var replaced = await SendAsync(HttpMethod.Post, "api/recruiters",
            $$"""{"batch": "{{batch}}", "rank": 2, "provider": "local", "maximum_workers": 2, "tasks_per_worker": 1000000}""", HttpStatusCode.OK);
        Assert.Equal(2, replaced.GetProperty("maximum_workers").GetInt32());

        var path = $"api/recruiters/{batch}/2";
        var patched = await SendAsync(HttpMethod.Patch, path, """{"minimum_tasks": 10, "worker_concurrency": 3}""", HttpStatusCode.OK);
        Assert.Equal((10, 3, 2), (patched.GetProperty("minimum_tasks").GetInt32(), patched.GetProperty("worker_concurrency").GetInt32(), patched.GetProperty("maximum_workers").GetInt32()));
        Assert.Equal(3, (await SendAsync(HttpMethod.Get, path, null, HttpStatusCode.OK)).GetProperty("worker_concurrency").GetInt32());

        foreach (var (body, field) in new[] { ("""{"batch": "other"}""", "batch"), ("""{"rank": 3}""", "rank"), ("""{"maximum_workers": 0}""", "maximum_workers"), ("""{"provider": "nope"}""", "provider") })
        {
            var problem = await SendAsync(HttpMethod.Patch, path, body, HttpStatusCode.BadRequest);
            Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"expected an error for '{field}' in {problem}");
        }
        Assert.Equal(2, (await SendAsync(HttpMethod.Get, path, null, HttpStatusCode.OK)).GetProperty("maximum_workers").GetInt32());

        await SendAsync(HttpMethod.Delete, path, null, HttpStatusCode.OK);
        await SendAsync(HttpMethod.Get, path, null, HttpStatusCode.NotFound);
        await SendAsync(HttpMethod.Delete, path, null, HttpStatusCode.NotFound);
        await SendAsync(HttpMethod.Patch, path, "{}", HttpStatusCode.NotFound);
        await SendAsync(HttpMethod.Get, $"api/recruiters/{batch}/two", null, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Bad_job_queries_name_the_parameter()
    {
        Assert.True((await SendAsync(HttpMethod.Get, "api/jobs?status=done", null, HttpStatusCode.BadRequest)).GetProperty("errors").TryGetProperty("status", out _));
        Assert.True((await SendAsync(HttpMethod.Get, "api/jobs?limit=0", null, HttpStatusCode.BadRequest)).GetProperty("errors").TryGetProperty("limit", out _));
        await SendAsync(HttpMethod.Get, "api/jobs/not-an-id", null, HttpStatusCode.BadRequest);
        await SendAsync(HttpMethod.Get, $"api/jobs/{Validation.Ids.New()}", null, HttpStatusCode.NotFound);
        var flavors = await SendAsync(HttpMethod.Get, "api/flavors", null, HttpStatusCode.OK);
        Assert.Contains(flavors.EnumerateArray(), f => f.GetProperty("provider").GetString() == "local" && f.GetProperty("cpus").GetInt32() == Environment.ProcessorCount);
    }

    [Fact]
    public async Task Only_the_admin_token_manages_recruiters_and_a_forged_worker_token_is_refused()
    {
        using var worker = _cluster.Http(_cluster.WorkerToken);
        Assert.Equal(HttpStatusCode.Forbidden, (await worker.GetAsync("api/recruiters", Token)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await worker.GetAsync("api/jobs", Token)).StatusCode);
        using var forged = _cluster.Http("w1.bmlnaHRseQ.c2lnbmF0dXJl");
        var register = await forged.PostAsJsonAsync("api/workers", new { name = "nightly-local-abc123", concurrency = 1 }, Token);
        Assert.Equal(HttpStatusCode.Unauthorized, register.StatusCode);
    }
}
