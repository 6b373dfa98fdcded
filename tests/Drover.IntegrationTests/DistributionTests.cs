using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Drover.Client;
using Drover.Contracts;
using Drover.IntegrationTests.Infrastructure;
using Drover.Worker.Execution;
using static Drover.IntegrationTests.DatasetTests;

namespace Drover.IntegrationTests;

/// <summary>
/// Download tickets on real worker processes with data directories: a new generation from a
/// directory, a real S3 API (s3rver) and a web server, switched on every worker or none. Queries
/// running through a switch see the old generation or the new, never a mix; a node that fails, a
/// worker killed mid-download, a deadline and a cancel all leave the old generation serving and no
/// staging behind.
/// </summary>
public sealed class DistributionTests : IAsyncLifetime
{
    private readonly DroverCluster _cluster = new(leaseTimeout: "3s");
    private readonly string _root = Directory.CreateTempSubdirectory("drover-distribution-").FullName;
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        await _cluster.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }

    /// <summary>Two workers, each holding shards s0 (100 rows) and s1 (200 rows) of generation 1.</summary>
    private async Task<(DroverClient Client, string A, string B)> TwoHoldersAsync()
    {
        var a = Path.Combine(_root, "a");
        var b = Path.Combine(_root, "b");
        foreach (var data in new[] { a, b })
        {
            WriteShard(data, "trips", "s0", 100, 1);
            WriteShard(data, "trips", "s1", 200, 2);
        }
        await _cluster.StartServerAsync();
        await _cluster.StartWorkerAsync(2, "--data-dir", a);
        await _cluster.StartWorkerAsync(2, "--data-dir", b);
        var client = _cluster.Client();
        await WaitForDatasetAsync(client, "trips", 2, holdings: 4);
        return (client, a, b);
    }

    private static async Task<long> CountAsync(HttpClient http) =>
        Assert.Single(RowsOf(await GroupByAsync(http, "trips", new { aggregate = new[] { new[] { "fare_amount", "count", "n" } } })))["n"].GetInt64();

    private static async Task<DatasetTicket> PostAsync(HttpClient http, object body)
    {
        using var response = await http.PostAsJsonAsync("api/datasets/trips/distribute", body, Token);
        var text = await response.Content.ReadAsStringAsync(Token);
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, text);
        return JsonSerializer.Deserialize<DatasetTicket>(text, Json.DroverJson.Options)!;
    }

    private static async Task<DatasetTicket> EndOfAsync(DroverClient client, Guid ticket)
    {
        var answer = await client.GetTicketAsync(ticket, TimeSpan.FromSeconds(90), Token);
        Assert.True(answer.Ended is not null, JsonSerializer.Serialize(answer));
        return answer;
    }

    private static void AssertNoStaging(params string[] dataDirectories)
    {
        foreach (var data in dataDirectories)
        {
            var left = Directory.EnumerateDirectories(Path.Combine(data, "trips"), "gen-2*").ToList();
            Assert.True(left.Count == 0, "left behind: " + string.Join(", ", left));
        }
    }

    [Fact]
    public async Task A_ticket_switches_every_worker_and_queries_through_it_see_the_old_or_the_new_never_a_mix()
    {
        await using var s3 = await S3Server.StartAsync("datasets");
        foreach (var (key, value) in s3.Environment) _cluster.Environment[key] = value;
        var (client, a, b) = await TwoHoldersAsync();
        using var _ = client;
        using var http = _cluster.Http(_cluster.AdminToken);
        var source = Path.Combine(_root, "source");
        WriteShard(source, "trips", "s0", 1_000, 3);
        WriteShard(source, "trips", "s1", 2_000, 4);
        WriteShard(source, "trips", "s2", 3_000, 5);

        // Queries run all through the distribution; each must see one whole generation.
        var counts = new List<long> { await CountAsync(http) };
        using var stop = new CancellationTokenSource();
        var querying = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested) counts.Add(await CountAsync(http));
        }, Token);

        var ticket = await PostAsync(http, new { source = new Uri(Path.Combine(source, "trips") + "/").ToString() });
        Assert.Equal(2, ticket.Generation);
        Assert.Equal(2, ticket.Nodes.Count);
        Assert.All(ticket.Nodes, n => Assert.Equal(["s0", "s1", "s2"], n.Shards));
        var done = await EndOfAsync(client, ticket.Id);
        Assert.True(done.State == "done", JsonSerializer.Serialize(done));
        Assert.All(done.Nodes, n => Assert.Equal(("switched", n.Bytes), (n.State, (long?)n.BytesDone)));
        var last = await CountAsync(http);
        await stop.CancelAsync();
        await querying;
        Assert.Equal(6_000, last);
        Assert.All(counts, n => Assert.Contains(n, new long[] { 300, 6_000 }));
        Assert.Equal(300, counts[0]);
        var dataset = await client.GetDatasetAsync("trips", Token);
        Assert.Equal((2L, 6_000L), (dataset.Generation, dataset.Rows));
        Assert.All(dataset.Shards, s => Assert.Equal(2, s.Workers.Count));
        // The steps are tasks in the task database like any other.
        foreach (var node in done.Nodes)
        {
            var step = (await client.GetTaskAsync(node.Task!.Value, Token))!;
            Assert.Equal(("trips/gen-2 switch", "dataset:trips", Model.TaskState.Succeeded), (step.Name, step.Batch, step.Status));
        }

        // Generation 3 from a real S3 API, one copy of each file, through the CLI.
        var next = Path.Combine(_root, "next");
        for (var i = 0; i < 4; i++)
        {
            var file = WriteShard(next, "trips", $"p{i}", 500 * (i + 1), 10 + i);
            await s3.PutAsync($"trips/p{i}.parquet", file, Token);
        }
        var (exit, output) = await _cluster.CliAsync("dataset", "distribute", "trips", "s3://datasets/trips/", "--replicas", "1", "--wait");
        Assert.True(exit == 0, output);
        Assert.Contains("generation 3 serves", output, StringComparison.Ordinal);
        dataset = await client.GetDatasetAsync("trips", Token);
        Assert.Equal((3L, 5_000L, 4), (dataset.Generation, dataset.Rows, dataset.Shards.Count));
        Assert.All(dataset.Shards, s => Assert.Single(s.Workers));
        Assert.Equal(2, dataset.Shards.SelectMany(s => s.Workers).Distinct().Count());
        Assert.Equal(5_000, await CountAsync(http));
        // Generation 2 stays on each worker (queries planned before the switch may still read it); 1 has gone.
        foreach (var data in new[] { a, b })
        {
            Assert.True(Directory.Exists(Path.Combine(data, "trips", "gen-2")));
            Assert.False(File.Exists(Path.Combine(data, "trips", "s0.parquet")));
        }
        (exit, output) = await _cluster.CliAsync("dataset", "tickets");
        Assert.True(exit == 0, output);
        Assert.Equal(2, output.Split('\n').Count(l => l.Contains(" done ", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Workers_that_share_a_data_directory_are_one_node_and_stage_into_it_once()
    {
        var shared = Path.Combine(_root, "shared");
        WriteShard(shared, "trips", "s0", 100, 1);
        await _cluster.StartServerAsync();
        await _cluster.StartWorkerAsync(2, "--data-dir", shared);
        await _cluster.StartWorkerAsync(2, "--data-dir", shared);
        using var client = _cluster.Client();
        await WaitForDatasetAsync(client, "trips", 1, holdings: 2);
        using var http = _cluster.Http(_cluster.AdminToken);
        var source = Path.Combine(_root, "source");
        WriteShard(source, "trips", "s0", 1_000, 3);
        WriteShard(source, "trips", "s1", 2_000, 4);

        var ticket = await PostAsync(http, new { source = new Uri(Path.Combine(source, "trips") + "/").ToString() });
        Assert.Single(ticket.Nodes);
        var done = await EndOfAsync(client, ticket.Id);
        Assert.True(done.State == "done", JsonSerializer.Serialize(done));
        Assert.Equal(3_000, await CountAsync(http));
        // Both workers serve the new files, from the one directory.
        await WaitForDatasetAsync(client, "trips", 2, holdings: 4);
        Assert.Equal(["gen-2"], Directory.EnumerateDirectories(Path.Combine(shared, "trips"), "gen-2*").Select(Path.GetFileName));
        await AssertInvalidAsync(http, "trips", new { source = ticket.Source, workers = new { replicas = 2 } }, "workers.replicas");
    }

    [Fact]
    public async Task A_node_that_fails_fails_the_ticket_on_every_node_and_the_old_generation_keeps_serving()
    {
        var (client, a, b) = await TwoHoldersAsync();
        using var _ = client;
        using var http = _cluster.Http(_cluster.AdminToken);
        var files = Path.Combine(_root, "web");
        WriteShard(files, "trips", "s0", 1_000, 3);
        await using var web = new FileWebServer(files);

        // One copy of each file: one worker gets s0, the other a file the web server does not have.
        var ticket = await PostAsync(http, new
        {
            source = new Uri(web.Url, "trips/").ToString(),
            files = new[] { "s0.parquet", "missing.parquet" },
            workers = new { replicas = 1 },
        });
        var failed = await EndOfAsync(client, ticket.Id);
        Assert.True(failed.State == "failed", JsonSerializer.Serialize(failed));
        Assert.Contains("404", failed.Reason, StringComparison.Ordinal);
        var bad = Assert.Single(failed.Nodes, n => n.State == "failed");
        Assert.Equal(["missing"], bad.Shards);
        Assert.Contains("404", bad.Error, StringComparison.Ordinal);
        Assert.Equal("dropped", Assert.Single(failed.Nodes, n => n.Shards.Contains("s0")).State);
        AssertNoStaging(a, b);
        Assert.Equal(1, (await client.GetDatasetAsync("trips", Token)).Generation);
        Assert.Equal(300, await CountAsync(http));
    }

    [Fact]
    public async Task A_ticket_under_way_shows_progress_and_a_cancel_a_deadline_or_a_lost_worker_ends_it_with_nothing_switched()
    {
        var (client, a, b) = await TwoHoldersAsync();
        using var _ = client;
        using var http = _cluster.Http(_cluster.AdminToken);
        var files = Path.Combine(_root, "web");
        var big = WriteNoise(Path.Combine(files, "trips", "s0.parquet"), 100_000);
        Assert.True(new FileInfo(big).Length > 1 << 17, $"{new FileInfo(big).Length} bytes");
        await using var web = new FileWebServer(files) { Stall = true };
        var body = new { source = new Uri(web.Url, "trips/").ToString(), files = new[] { "s0.parquet" } };

        // Under way: bytes arrive, the staging is there, a second ticket for the dataset is refused.
        var ticket = await PostAsync(http, body);
        await WaitForAsync(async () => (await client.ListTicketsAsync(Token)).Single().Nodes.All(n => n.BytesDone >= 1 << 16), "both downloads under way", client);
        Assert.All(new[] { a, b }, d => Assert.True(Directory.Exists(Path.Combine(d, "trips", "gen-2.staging"))));
        using (var second = await http.PostAsJsonAsync("api/datasets/trips/distribute", body, Token))
        {
            Assert.Equal(HttpStatusCode.Conflict, second.StatusCode);
            Assert.Contains(ticket.Id.ToString(), await second.Content.ReadAsStringAsync(Token), StringComparison.Ordinal);
        }

        var canceled = await client.CancelTicketAsync(ticket.Id, Token);
        Assert.Equal(("canceled", 1L), (canceled.State, (await client.GetDatasetAsync("trips", Token)).Generation));
        Assert.All(canceled.Nodes, n => Assert.Equal("dropped", n.State));
        AssertNoStaging(a, b);
        using (var again = await http.DeleteAsync($"api/datasets/tickets/{ticket.Id}", Token)) Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        using (var unknown = await http.DeleteAsync($"api/datasets/tickets/{Guid.NewGuid()}", Token)) Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);

        var late = await EndOfAsync(client, (await PostAsync(http, new { body.source, body.files, deadline = "2s" })).Id);
        Assert.True(late.State == "failed" && late.Reason!.Contains("deadline", StringComparison.Ordinal), JsonSerializer.Serialize(late));
        AssertNoStaging(a, b);

        // A worker killed mid-download fails the ticket (it does not wait forever); the other drops its staging.
        ticket = await PostAsync(http, body);
        Assert.True(ticket.Nodes.Count == 2, JsonSerializer.Serialize(await client.ListWorkersAsync(Token))
            + string.Concat(_cluster.Workers.Select(w => $"\nworker {w.Id} exited {w.HasExited}:\n" + w.Output)));
        await WaitForAsync(async () => (await client.ListTicketsAsync(Token))[0].Nodes.All(n => n.BytesDone > 0), "both downloads under way", client);
        var killed = _cluster.Workers[1];
        killed.Signal(PosixProcess.SigKill);
        var lost = await EndOfAsync(client, ticket.Id);
        Assert.True(lost.State == "failed" && lost.Reason!.Contains("lost", StringComparison.Ordinal), JsonSerializer.Serialize(lost));
        Assert.Equal(["dropped", "failed"], lost.Nodes.Select(n => n.State).Order());
        AssertNoStaging(a);
        Assert.Equal(300, await CountAsync(http));
    }

    /// <summary>A Parquet file of random doubles: it does not compress, so it is large enough to stall mid-way.</summary>
    private static string WriteNoise(string path, int rows)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var connection = Drover.Datasets.ShardEngine.Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"COPY (SELECT random() AS fare_amount FROM range({rows})) TO '{path}' (FORMAT parquet)";
        command.ExecuteNonQuery();
        return path;
    }

    private async Task WaitForAsync(Func<Task<bool>> condition, string what, DroverClient client)
    {
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!await condition())
        {
            if (DateTime.UtcNow > until)
            {
                var steps = await client.QueryTasksAsync(JsonSerializer.SerializeToElement(new { batch = "dataset:trips" }), 100, Token);
                Assert.Fail($"timed out waiting for {what}: {JsonSerializer.Serialize(await client.ListTicketsAsync(Token))}\n"
                    + string.Join("\n", steps.Select(t => $"{t.Name} {t.Status} {t.WorkerId} {t.StatusMessage}"))
                    + "\nserver:\n" + _cluster.Server!.Output + string.Concat(_cluster.Workers.Select(w => "\nworker:\n" + w.Output)));
            }
            await Task.Delay(100, Token);
        }
    }

    [Fact]
    public async Task Bad_distributions_are_400s_naming_the_field_and_start_nothing()
    {
        await _cluster.StartServerAsync();
        using var http = _cluster.Http(_cluster.AdminToken);
        var empty = Directory.CreateDirectory(Path.Combine(_root, "empty")).FullName;
        var emptyUrl = new Uri(empty + "/").ToString();
        await AssertInvalidAsync(http, "trips", new { source = emptyUrl }, "workers");
        var data = Path.Combine(_root, "a");
        WriteShard(data, "trips", "s0", 100, 1);
        await _cluster.StartWorkerAsync(1, "--data-dir", data);
        using var client = _cluster.Client();
        await WaitForDatasetAsync(client, "trips", 1, holdings: 1);

        await AssertInvalidAsync(http, "trips", new { }, "source");
        await AssertInvalidAsync(http, "trips", new { source = "ftp://host/x/" }, "source");
        await AssertInvalidAsync(http, "trips", new { source = "relative/dir" }, "source");
        await AssertInvalidAsync(http, "trips", new { source = "https://host/x/" }, "files");
        await AssertInvalidAsync(http, "trips", new { source = "file:///no/such/dir/" }, "source");
        await AssertInvalidAsync(http, "trips", new { source = emptyUrl }, "source");
        await AssertInvalidAsync(http, "trips", new { source = emptyUrl, workers = "some" }, "workers");
        await AssertInvalidAsync(http, "trips", new { source = emptyUrl, workers = new[] { "not-an-id" } }, "workers[0]");
        await AssertInvalidAsync(http, "trips", new { source = emptyUrl, workers = new[] { Guid.NewGuid() } }, "workers[0]");
        await AssertInvalidAsync(http, "trips", new { source = emptyUrl, workers = Array.Empty<Guid>() }, "workers");
        await AssertInvalidAsync(http, "trips", new { source = emptyUrl, workers = new { replicas = 0 } }, "workers.replicas");
        await AssertInvalidAsync(http, "trips", new { source = emptyUrl, workers = new { replicas = 2 } }, "workers.replicas");
        await AssertInvalidAsync(http, "trips", new { source = emptyUrl, deadline = "soon" }, "deadline");
        await AssertInvalidAsync(http, "trips", new { source = emptyUrl, deadline = "30d" }, "deadline");
        await AssertInvalidAsync(http, "bad%20name", new { source = emptyUrl }, "name");
        using (var notJson = await http.PostAsync("api/datasets/trips/distribute", new StringContent("{", System.Text.Encoding.UTF8, "application/json"), Token))
            Assert.Equal(HttpStatusCode.BadRequest, notJson.StatusCode);
        using (var badId = await http.GetAsync("api/datasets/tickets/not-an-id", Token)) Assert.Equal(HttpStatusCode.BadRequest, badId.StatusCode);
        using (var unknown = await http.GetAsync($"api/datasets/tickets/{Guid.NewGuid()}", Token)) Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);

        Assert.Empty(await client.ListTicketsAsync(Token));
        Assert.Equal(1, (await client.GetDatasetAsync("trips", Token)).Generation);
        var (exit, output) = await _cluster.CliAsync("dataset", "distribute", "trips", emptyUrl, "--deadline", "soon");
        Assert.Equal(2, exit);
        Assert.Contains("--deadline", output, StringComparison.Ordinal);
    }

    private static async Task AssertInvalidAsync(HttpClient http, string dataset, object body, string field)
    {
        using var response = await http.PostAsJsonAsync($"api/datasets/{dataset}/distribute", body, Token);
        var text = await response.Content.ReadAsStringAsync(Token);
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{JsonSerializer.Serialize(body)}: {(int)response.StatusCode} {text}");
        var errors = JsonDocument.Parse(text).RootElement.GetProperty("errors");
        Assert.True(errors.TryGetProperty(field, out _), $"{JsonSerializer.Serialize(body)}: expected an error on {field}: {text}");
    }
}
