using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Drover.Client;
using Drover.IntegrationTests.Infrastructure;
using Drover.Model;

namespace Drover.IntegrationTests;

/// <summary>The task database over HTTP and the CLI: query, resubmit, purge.</summary>
[Collection("cluster")]
public sealed class QueryApiTests(SharedCluster shared)
{
    private readonly DroverCluster _cluster = shared.Cluster;
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private static JsonElement Json(string text) => JsonDocument.Parse(text).RootElement;

    /// <summary>Three tasks in a batch of their own, run to the end: one succeeds, two fail.</summary>
    private async Task<string> RunBatchAsync()
    {
        var batch = $"q-{Guid.NewGuid():N}";
        using var client = _cluster.Client();
        var created = await client.CreateTasksAsync(
        [
            Specs.Command("echo", "fine") with { Name = "fine", Batch = batch },
            Specs.Shell("echo broken; exit 2") with { Name = "broken", Batch = batch },
            Specs.Command("false") with { Name = "false", Batch = batch },
        ], Token);
        await client.WaitAllAsync([.. created.Select(t => t.Id)], Token);
        return batch;
    }

    private async Task<HttpResponseMessage> PostAsync(string path, string body)
    {
        using var http = _cluster.Http(_cluster.AdminToken);
        return await http.PostAsync(path, new StringContent(body, Encoding.UTF8, "application/json"), Token);
    }

    [Fact]
    public async Task A_query_returns_only_the_keys_asked_for_and_counts()
    {
        var batch = await RunBatchAsync();
        using var client = _cluster.Client();
        var rows = await client.QueryAsync(Json($$"""{"filter": {"batch": "{{batch}}", "status": "failed"}, "keys": ["name", "stdout"], "sort": ["name"]}"""), Token);
        Assert.Equal(2, rows.GetArrayLength());
        var broken = rows[0];
        Assert.Equal(["id", "name", "stdout"], broken.EnumerateObject().Select(p => p.Name));
        Assert.Equal("broken", broken.GetProperty("name").GetString());
        Assert.Equal("broken\n", broken.GetProperty("stdout").GetString());
        Assert.Equal("false", rows[1].GetProperty("name").GetString());
        Assert.All(rows[1].EnumerateObject(), p => Assert.Contains(p.Name, new[] { "id", "name", "stdout" }));

        Assert.Equal(3, await client.CountTasksAsync(Json($$"""{"batch": "{{batch}}"}"""), Token));
        var records = await client.QueryTasksAsync(Json($$$"""{"batch": "{{{batch}}}", "exit_code": {"$gt": 0}}"""), 10, Token);
        Assert.All(records, t => Assert.Null(t.Stdout));
        Assert.Equal(2, records.Count);
    }

    [Fact]
    public async Task Values_that_look_like_sql_are_only_data()
    {
        var batch = await RunBatchAsync();
        using var client = _cluster.Client();
        foreach (var evil in new[] { "'; DROP TABLE tasks; --", "\" OR 1=1 --", "x') OR ('1'='1" })
        {
            var filter = new Dictionary<string, object> { ["name"] = evil, ["batch"] = batch };
            Assert.Equal(0, await client.CountTasksAsync(JsonSerializer.SerializeToElement(filter), Token));
            var regex = new Dictionary<string, object> { ["name"] = new Dictionary<string, string> { ["$regex"] = Regex(evil) } };
            Assert.Equal(0, await client.CountTasksAsync(JsonSerializer.SerializeToElement(regex), Token));
        }
        Assert.Equal(3, await client.CountTasksAsync(Json($$"""{"batch": "{{batch}}"}"""), Token));

        static string Regex(string text) => System.Text.RegularExpressions.Regex.Escape(text);
    }

    [Fact]
    public async Task Failed_tasks_are_resubmitted_by_filter_and_run_again()
    {
        var batch = await RunBatchAsync();
        using var client = _cluster.Client();
        var again = await client.ResubmitAsync(Json($$"""{"batch": "{{batch}}", "status": "failed"}"""), Token);
        Assert.Equal(2, again.Count);
        Assert.All(again, t => Assert.NotNull(t.ResubmittedFrom));
        var ended = await client.WaitAllAsync([.. again.Select(t => t.Id)], Token);
        Assert.All(ended, t => Assert.Equal(TaskState.Failed, t.Status));
        var original = await client.GetTaskAsync(again[0].ResubmittedFrom!.Value, Token);
        Assert.Contains(original!.Resubmitted!.Value, again.Select(t => t.Id));
        Assert.Equal(5, await client.CountTasksAsync(Json($$"""{"batch": "{{batch}}"}"""), Token));
    }

    [Fact]
    public async Task Resubmitting_an_unknown_or_unfinished_task_changes_nothing()
    {
        using var client = _cluster.Client();
        var batch = $"q-{Guid.NewGuid():N}";
        var running = await client.CreateTaskAsync(Specs.Command("sleep", "2") with { Batch = batch }, Token);

        var conflict = await Assert.ThrowsAsync<DroverApiException>(() => client.ResubmitAsync([running.Id], Token));
        Assert.Equal(HttpStatusCode.Conflict, conflict.Status);
        var missing = await Assert.ThrowsAsync<DroverApiException>(() => client.ResubmitAsync([Guid.CreateVersion7()], Token));
        Assert.Equal(HttpStatusCode.NotFound, missing.Status);
        Assert.Equal(1, await client.CountTasksAsync(Json($$"""{"batch": "{{batch}}"}"""), Token));

        foreach (var (body, field) in new[]
        {
            ("""{}""", "body"),
            ("""{"ids": []}""", "ids"),
            ("""{"ids": ["nope"]}""", "ids[0]"),
            ($$$"""{"ids": ["{{{running.Id}}}"], "filter": {}}""", "body"),
            ("""{"filter": {"status": {"$gt": null}}}""", "filter.status.$gt"),
        })
        {
            var response = await PostAsync("api/tasks/resubmit", body);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Token);
            Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"{body}: {problem}");
        }
        await client.WaitAllAsync([running.Id], Token);
    }

    [Fact]
    public async Task Purge_needs_a_filter_and_deletes_only_ended_tasks()
    {
        var response = await PostAsync("api/tasks/purge", "{}");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("\"filter\"", await response.Content.ReadAsStringAsync(Token));

        var batch = await RunBatchAsync();
        using var client = _cluster.Client();
        var waiting = await client.CreateTaskAsync(Specs.Command("sleep", "2") with { Batch = batch }, Token);
        var outcome = await client.PurgeAsync(Json($$"""{"batch": "{{batch}}"}"""), Token);
        Assert.Equal(3, outcome.Deleted);
        Assert.Equal([waiting.Id], outcome.Refused);
        Assert.Equal(1, await client.CountTasksAsync(Json($$"""{"batch": "{{batch}}"}"""), Token));
        await client.WaitAllAsync([waiting.Id], Token);
    }

    [Fact]
    public async Task The_cli_queries_counts_resubmits_and_purges()
    {
        var batch = await RunBatchAsync();
        var filter = $$"""{"batch": "{{batch}}", "status": "failed"}""";
        var (code, table) = await _cluster.CliAsync("query", filter, "--keys", "name,exit_code", "--sort", "-name");
        Assert.Equal(0, code);
        var lines = table.Trim().Split('\n');
        Assert.StartsWith("ID", lines[0]);
        Assert.Contains("NAME", lines[0]);
        Assert.Contains("false", lines[1]);
        Assert.Contains("broken", lines[2]);

        Assert.Equal((0, "2"), Trim(await _cluster.CliAsync("query", filter, "--count")));
        var (resubmitCode, resubmitted) = await _cluster.CliAsync("resubmit", "--filter", filter);
        Assert.Equal(0, resubmitCode);
        Assert.Equal(3, resubmitted.Trim().Split('\n').Length);
        var (purgeCode, purged) = await _cluster.CliAsync("purge", "--filter", $$"""{"batch": "{{batch}}", "name": "fine"}""");
        Assert.Equal(0, purgeCode);
        Assert.Contains("Deleted 1 task(s).", purged);

        var (badCode, bad) = await _cluster.CliAsync("query", """{"nope": 1}""");
        Assert.Equal(2, badCode);
        Assert.Contains("filter.nope", bad);

        static (int, string) Trim((int Code, string Output) result) => (result.Code, result.Output.Trim());
    }
}
