using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Drover.IntegrationTests.Infrastructure;

namespace Drover.IntegrationTests;

/// <summary><c>Prefer: return=minimal</c> on a create: the ids alone, in the order sent; records otherwise.</summary>
[Collection("cluster")]
public sealed class MinimalAnswerTests(SharedCluster shared)
{
    private readonly DroverCluster _cluster = shared.Cluster;
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private async Task<HttpResponseMessage> PostAsync(string path, string body, string? prefer)
    {
        using var http = _cluster.Http(_cluster.AdminToken);
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        if (prefer is not null) request.Headers.TryAddWithoutValidation("Prefer", prefer);
        return await http.SendAsync(request, Token);
    }

    private static string Tasks(params Guid[] ids) =>
        JsonSerializer.Serialize(ids.Select(id => new { id, command = new[] { "true" }, batch = "minimal" }));

    private static async Task<List<string>> IdsOf(HttpResponseMessage response)
    {
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(Token);
        Assert.Equal(JsonValueKind.Object, body.ValueKind);
        Assert.Equal(["ids"], body.EnumerateObject().Select(p => p.Name));
        return [.. body.GetProperty("ids").EnumerateArray().Select(e => e.GetString()!)];
    }

    [Theory]
    [InlineData("return=minimal")]
    [InlineData("respond-async, RETURN=\"Minimal\"; charset=x")]
    [InlineData("handling=lenient,return=minimal")]
    public async Task A_create_that_prefers_a_minimal_answer_gets_the_ids_in_the_order_sent_and_the_tasks_exist(string prefer)
    {
        Guid[] ids = [Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid()];
        using var response = await PostAsync("api/tasks", Tasks(ids), prefer);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("return=minimal", response.Headers.GetValues("Preference-Applied").Single());
        Assert.Equal(ids.Select(i => i.ToString()), await IdsOf(response));
        using var client = _cluster.Client();
        foreach (var id in ids) Assert.NotNull(await client.GetTaskAsync(id, Token));
    }

    [Fact]
    public async Task One_task_gets_its_id_with_its_location_and_sent_again_the_same_id_as_found()
    {
        var id = Guid.NewGuid();
        var one = JsonSerializer.Serialize(new { id, command = new[] { "true" }, batch = "minimal" });
        using var created = await PostAsync("api/tasks", one, "return=minimal");
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal($"/api/tasks/{id}", created.Headers.Location?.ToString());
        Assert.Equal([id.ToString()], await IdsOf(created));
        using var again = await PostAsync("api/tasks", one, "return=minimal");
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal([id.ToString()], await IdsOf(again));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("return=representation")]
    [InlineData("return")]
    [InlineData("minimal")]
    [InlineData("return=minimalist")]
    [InlineData(";;,=,")]
    public async Task Any_other_preference_gets_the_records_and_no_preference_applied(string? prefer)
    {
        var id = Guid.NewGuid();
        using var response = await PostAsync("api/tasks", Tasks(id), prefer);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.False(response.Headers.Contains("Preference-Applied"));
        var record = Assert.Single((await response.Content.ReadFromJsonAsync<JsonElement>(Token)).EnumerateArray());
        Assert.Equal((id.ToString(), "minimal"), (record.GetProperty("id").GetString(), record.GetProperty("batch").GetString()));
    }

    [Fact]
    public async Task A_create_that_waits_answers_with_records_whatever_it_prefers()
    {
        var id = Guid.NewGuid();
        using var response = await PostAsync("api/tasks?wait=30s", Tasks(id), "return=minimal");
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.False(response.Headers.Contains("Preference-Applied"));
        var record = Assert.Single((await response.Content.ReadFromJsonAsync<JsonElement>(Token)).EnumerateArray());
        Assert.Equal("succeeded", record.GetProperty("status").GetString());
    }

    [Fact]
    public async Task A_bad_create_that_prefers_a_minimal_answer_is_refused_as_any_and_creates_nothing()
    {
        var id = Guid.NewGuid();
        var body = JsonSerializer.Serialize(new object[] { new { id, command = new[] { "true" }, batch = "minimal" }, new { command = Array.Empty<string>(), batch = "minimal" } });
        using var response = await PostAsync("api/tasks", body, "return=minimal");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Token);
        Assert.True(problem.GetProperty("errors").TryGetProperty("[1].command", out _), problem.ToString());
        using var client = _cluster.Client();
        Assert.Null(await client.GetTaskAsync(id, Token));
    }

    [Fact]
    public async Task The_clients_bulk_submit_gets_handles_without_records_that_read_and_wait_and_a_single_submit_keeps_its_record()
    {
        await using var client = _cluster.Client();
        var specs = Enumerable.Range(0, 5).Select(i => Specs.Command("echo", $"{i}") with { Batch = "minimal" }).ToList();
        var handles = await client.SubmitAsync(specs, Token);
        Assert.Equal(5, handles.Count);
        Assert.All(handles, h => Assert.Null(h.Record));
        Assert.Equal(handles.Count, handles.Select(h => h.Id).Distinct().Count());
        Assert.Equal("minimal", (await handles[0].GetAsync(Token)).Batch);
        var ended = await client.WaitAllAsync([.. handles.Select(h => h.Id)], Token);
        Assert.Equal(handles.Select(h => h.Id).Order(), ended.Select(t => t.Id).Order());
        Assert.All(ended, t => Assert.Equal(Model.TaskState.Succeeded, t.Status));

        var one = await client.SubmitAsync(Specs.Command("true") with { Batch = "minimal" }, Token);
        Assert.Equal(one.Id, one.Record?.Id);
    }

    [Fact]
    public async Task Bulk_handles_carry_the_ids_sent_or_those_the_server_chose_and_a_resilient_client_chooses_them_itself()
    {
        await using var failFast = _cluster.Client();
        var chosen = Guid.NewGuid();
        var handles = await failFast.SubmitAsync([Specs.Command("true") with { Batch = "minimal", Id = chosen.ToString() }, Specs.Command("true") with { Batch = "minimal" }], Token);
        Assert.Equal(chosen, handles[0].Id);
        Assert.Equal("minimal", (await handles[1].GetAsync(Token)).Batch);

        await using var resilient = new Client.DroverClient(_cluster.Url, _cluster.AdminToken, new Client.DroverClientOptions());
        var resilientHandles = await resilient.SubmitAsync([Specs.Command("true") with { Batch = "minimal" }, Specs.Command("true") with { Batch = "minimal" }], Token);
        Assert.All(resilientHandles, h => Assert.True(h.IsDelivered));
        foreach (var handle in resilientHandles) Assert.Equal(handle.Id, (await failFast.GetTaskAsync(handle.Id, Token))?.Id);
    }
}
