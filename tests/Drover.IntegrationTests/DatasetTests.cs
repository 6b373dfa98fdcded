using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Apache.Arrow;
using Apache.Arrow.Ipc;
using Drover.Client;
using Drover.Contracts;
using Drover.Datasets;
using Drover.IntegrationTests.Infrastructure;
using Drover.Worker.Execution;

namespace Drover.IntegrationTests;

/// <summary>
/// Datasets on real worker processes with data directories of real Parquet files: the catalogue,
/// group-bys merged exactly (checked against one independent DuckDB query over all the files), the
/// CLI walk-through, answers as CSV and Arrow, a worker lost mid-query, and bad input.
/// </summary>
public sealed class DatasetTests : IAsyncLifetime
{
    private readonly DroverCluster _cluster = new(leaseTimeout: "3s");
    private readonly string _root = Directory.CreateTempSubdirectory("drover-datasets-").FullName;
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => await _cluster.StartServerAsync();

    public async ValueTask DisposeAsync()
    {
        await _cluster.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }

    /// <summary>A shard of <paramref name="rows"/> rows; <paramref name="seed"/> shifts its values so that shards differ.</summary>
    internal static string WriteShard(string dataDirectory, string dataset, string shard, int rows, int seed)
    {
        var directory = Directory.CreateDirectory(Path.Combine(dataDirectory, dataset)).FullName;
        var path = Path.Combine(directory, shard + ".parquet");
        using var connection = ShardEngine.Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"""
            COPY (SELECT
                CASE (i * {seed}) % 3 WHEN 0 THEN 'card' WHEN 1 THEN 'cash' ELSE 'dispute' END AS payment_type,
                CAST((i * 7 + {seed}) % 6 AS BIGINT) AS passenger_count,
                ((i * 37 + {seed} * 11) % 1000) / 7.0 + {seed} * 100.0 AS fare_amount,
                CASE WHEN i % 13 = 0 THEN NULL ELSE ((i * 53) % 300) / 10.0 END AS tip_amount,
                'v' || CAST((i + {seed}) % 5 + {seed} AS VARCHAR) AS vendor
              FROM range({rows}) t(i))
            TO '{path}' (FORMAT parquet)
            """;
        command.ExecuteNonQuery();
        return path;
    }

    /// <summary>Waits (bounded) until the catalogue shows the dataset with this many shards, held this many times in all: the workers announce on their own time.</summary>
    internal static async Task<DatasetRecord> WaitForDatasetAsync(DroverClient client, string name, int shards, int holdings)
    {
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            var found = (await client.ListDatasetsAsync(Token)).FirstOrDefault(d => d.Name == name);
            if (found is not null && found.Shards.Count == shards && found.Shards.Sum(s => s.Workers.Count) == holdings) return found;
            if (DateTime.UtcNow > until) Assert.Fail($"dataset {name} did not reach {shards} shard(s) held {holdings} times: {JsonSerializer.Serialize(found)}");
            await Task.Delay(100, Token);
        }
    }

    internal static List<Dictionary<string, JsonElement>> RowsOf(JsonElement answer)
    {
        var names = answer.GetProperty("columns").EnumerateArray().Select(c => c.GetProperty("name").GetString()!).ToList();
        return [.. answer.GetProperty("rows").EnumerateArray().Select(r => names.Zip(r.EnumerateArray()).ToDictionary(p => p.First, p => p.Second))];
    }

    internal static async Task<JsonElement> GroupByAsync(HttpClient http, string dataset, object body)
    {
        using var response = await http.PostAsJsonAsync($"api/datasets/{dataset}/groupby", body, Token);
        var text = await response.Content.ReadAsStringAsync(Token);
        Assert.True(response.IsSuccessStatusCode, text);
        return JsonDocument.Parse(text).RootElement;
    }

    [Fact]
    public async Task A_sharded_group_by_equals_one_duckdb_query_over_all_the_files()
    {
        // Shards of 11, 1,500 and 30,000 rows (a mean of means would be far off), one of them on both
        // workers; vendors recur across shards (a distinct count must count each once).
        var a = Path.Combine(_root, "a");
        var b = Path.Combine(_root, "b");
        var files = new[]
        {
            WriteShard(a, "trips", "s0", 11, 1),
            WriteShard(a, "trips", "s1", 1_500, 2),
            WriteShard(b, "trips", "s2", 30_000, 3),
        };
        Directory.CreateDirectory(Path.Combine(b, "trips"));
        File.Copy(files[1], Path.Combine(b, "trips", "s1.parquet"));
        await _cluster.StartWorkerAsync(2, "--data-dir", a);
        await _cluster.StartWorkerAsync(2, "--data-dir", b);
        using var client = _cluster.Client();
        await WaitForDatasetAsync(client, "trips", 3, holdings: 4);
        var dataset = await client.GetDatasetAsync("trips", Token);
        Assert.Equal(31_511, dataset.Rows);
        Assert.Equal(2, dataset.Shards.Single(s => s.Shard == "s1").Workers.Count);
        Assert.Contains(dataset.Schema, c => c is { Name: "fare_amount", Type: "DOUBLE" });

        using var http = _cluster.Http(_cluster.AdminToken);
        var answer = await GroupByAsync(http, "trips", new
        {
            by = new[] { "payment_type" },
            aggregate = new object[]
            {
                new[] { "fare_amount", "sum", "total" }, new[] { "fare_amount", "mean", "avg" }, new[] { "tip_amount", "std", "tip_std" },
                new[] { "tip_amount", "var_pop", "tip_var_pop" }, new[] { "tip_amount", "count", "tips" }, new[] { "tip_amount", "count_na", "no_tip" },
                new[] { "vendor", "count_distinct", "vendors" }, new[] { "fare_amount", "min", "lo" }, new[] { "vendor", "max", "last_vendor" },
                new[] { "passenger_count", "sum", "passengers" },
            },
            where = new object[] { new object[] { "passenger_count", ">", 0 }, new object[] { "vendor", "nin", new[] { "v9" } } },
        });
        Assert.Equal(3, answer.GetProperty("tasks").GetArrayLength());
        Assert.Equal(["s0", "s1", "s2"], answer.GetProperty("shards").EnumerateArray().Select(s => s.GetString()));

        using var connection = ShardEngine.Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"""
            SELECT payment_type, sum(fare_amount), avg(fare_amount), stddev_samp(tip_amount), var_pop(tip_amount), count(tip_amount),
                   count(*) - count(tip_amount), count(DISTINCT vendor), min(fare_amount), max(vendor), CAST(sum(passenger_count) AS BIGINT)
            FROM read_parquet([{string.Join(", ", files.Select(f => $"'{f}'"))}])
            WHERE passenger_count > 0 AND vendor NOT IN ('v9')
            GROUP BY payment_type ORDER BY payment_type
            """;
        using var reader = command.ExecuteReader();
        var rows = RowsOf(answer);
        var i = 0;
        while (reader.Read())
        {
            var row = rows[i++];
            Assert.Equal(reader.GetString(0), row["payment_type"].GetString());
            AssertClose(reader.GetDouble(1), row["total"].GetDouble(), 1e-12);
            AssertClose(reader.GetDouble(2), row["avg"].GetDouble(), 1e-12);
            AssertClose(reader.GetDouble(3), row["tip_std"].GetDouble(), 1e-9);
            AssertClose(reader.GetDouble(4), row["tip_var_pop"].GetDouble(), 1e-9);
            Assert.Equal(reader.GetInt64(5), row["tips"].GetInt64());
            Assert.Equal(reader.GetInt64(6), row["no_tip"].GetInt64());
            Assert.Equal(reader.GetInt64(7), row["vendors"].GetInt64());
            Assert.Equal(reader.GetDouble(8), row["lo"].GetDouble());
            Assert.Equal(reader.GetString(9), row["last_vendor"].GetString());
            Assert.Equal(reader.GetInt64(10), row["passengers"].GetInt64());
        }
        Assert.Equal(3, i);
        Assert.Equal(i, rows.Count);

        // The shard queries are tasks in the task database, in the dataset's batch.
        var batch = (await client.ListBatchesAsync(Token)).Single(x => x.Name == "dataset:trips");
        Assert.Equal(3, batch.Counts["succeeded"]);

        // No by: one row; merge: false: each shard's own rows, labelled.
        var total = RowsOf(await GroupByAsync(http, "trips", new { aggregate = new[] { new[] { "fare_amount", "count", "n" } } }));
        Assert.Equal(31_511, Assert.Single(total)["n"].GetInt64());
        var perShard = RowsOf(await GroupByAsync(http, "trips", new { aggregate = new[] { new[] { "fare_amount", "count", "n" } }, merge = false }));
        Assert.Equal(["s0", "s1", "s2"], perShard.Select(r => r["shard"].GetString()));
        Assert.Equal([11L, 1_500L, 30_000L], perShard.Select(r => r["n"].GetInt64()));
        var subset = RowsOf(await GroupByAsync(http, "trips", new { aggregate = new[] { new[] { "fare_amount", "count", "n" } }, shards = new[] { "s2" } }));
        Assert.Equal(30_000, Assert.Single(subset)["n"].GetInt64());
    }

    private static void AssertClose(double expected, double actual, double relative) =>
        Assert.True(Math.Abs(expected - actual) <= relative * Math.Max(1, Math.Abs(expected)), $"expected {expected:R}, got {actual:R}");

    [Fact]
    public async Task The_cli_imports_a_csv_and_groups_it_and_the_answer_comes_as_csv_and_arrow_too()
    {
        var csv = Path.Combine(_root, "trips.csv");
        var lines = new List<string> { "payment_type,passenger_count,fare_amount" };
        for (var i = 0; i < 1_000; i++) lines.Add($"{(i % 3 == 0 ? "cash" : "card")},{i % 4 + 1},{(i % 50 + 0.25).ToString(CultureInfo.InvariantCulture)}");
        await File.WriteAllLinesAsync(csv, lines, Token);
        var data = Path.Combine(_root, "data");
        var import = await _cluster.CliAsync("dataset", "import", csv, "--name", "trips", "--shards", "4", "--out", data);
        Assert.True(import.ExitCode == 0, import.Output);
        Assert.Contains("4 shard(s), 1000 rows", import.Output, StringComparison.Ordinal);
        Assert.Equal(["part-0000.parquet", "part-0001.parquet", "part-0002.parquet", "part-0003.parquet"],
            Directory.GetFiles(Path.Combine(data, "trips")).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        var again = await _cluster.CliAsync("dataset", "import", csv, "--name", "trips", "--shards", "4", "--out", data);
        Assert.Equal(2, again.ExitCode);
        Assert.Contains("already holds shards", again.Output, StringComparison.Ordinal);

        await _cluster.StartWorkerAsync(2, "--data-dir", data);
        using var client = _cluster.Client();
        await WaitForDatasetAsync(client, "trips", 4, holdings: 4);
        var list = await _cluster.CliAsync("dataset", "list");
        Assert.Contains("trips", list.Output, StringComparison.Ordinal);

        var table = await _cluster.CliAsync("groupby", "trips", "--by", "payment_type", "--agg", "fare_amount:mean:avg", "--agg", "fare_amount:count:n",
            "--where", "passenger_count>1");
        Assert.True(table.ExitCode == 0, table.Output);
        var expected = Enumerable.Range(0, 1_000).Where(i => i % 4 + 1 > 1).GroupBy(i => i % 3 == 0 ? "cash" : "card")
            .OrderBy(g => g.Key, StringComparer.Ordinal).ToList();
        var printed = table.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToList();
        Assert.Equal(["payment_type", "avg", "n"], printed[0]);
        foreach (var (group, row) in expected.Zip(printed.Skip(1)))
        {
            Assert.Equal(group.Key, row[0]);
            AssertClose(group.Average(i => i % 50 + 0.25), double.Parse(row[1], CultureInfo.InvariantCulture), 1e-12);
            Assert.Equal(group.Count(), int.Parse(row[2], CultureInfo.InvariantCulture));
        }

        var badWhere = await _cluster.CliAsync("groupby", "trips", "--agg", "fare_amount:count", "--where", "passenger_count");
        Assert.Equal(2, badWhere.ExitCode);
        Assert.Contains("--where: 'passenger_count' is not a where term", badWhere.Output, StringComparison.Ordinal);
        var badAgg = await _cluster.CliAsync("groupby", "trips", "--agg", "fare_amount");
        Assert.Equal(2, badAgg.ExitCode);
        Assert.Contains("--agg: 'fare_amount' is not COLUMN:OP", badAgg.Output, StringComparison.Ordinal);

        var csvAnswer = await _cluster.CliAsync("groupby", "trips", "--by", "payment_type", "--agg", "fare_amount:count:n", "--csv");
        Assert.Equal($"payment_type,n\r\ncard,{1_000 - 334}\r\ncash,334\r\n", csvAnswer.Output.Replace("\r\n", "\n").Replace("\n", "\r\n"));

        using var http = _cluster.Http(_cluster.AdminToken);
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/datasets/trips/groupby")
        {
            Content = JsonContent.Create(new { by = new[] { "payment_type" }, aggregate = new[] { new[] { "fare_amount", "mean", "avg" }, new[] { "fare_amount", "count", "n" } } }),
        };
        request.Headers.Accept.ParseAdd("application/vnd.apache.arrow.stream");
        using var response = await http.SendAsync(request, Token);
        Assert.Equal("application/vnd.apache.arrow.stream", response.Content.Headers.ContentType?.MediaType);
        using var arrow = new ArrowStreamReader(await response.Content.ReadAsStreamAsync(Token));
        using var batch = await arrow.ReadNextRecordBatchAsync(Token);
        Assert.Equal(["payment_type", "avg", "n"], arrow.Schema.FieldsList.Select(f => f.Name));
        Assert.Equal(["card", "cash"], Enumerable.Range(0, batch.Length).Select(i => ((StringArray)batch.Column(0)).GetString(i)));
        Assert.Equal(334, ((Int64Array)batch.Column(2)).GetValue(1));
        AssertClose(Enumerable.Range(0, 1_000).Where(i => i % 3 == 0).Average(i => i % 50 + 0.25), ((DoubleArray)batch.Column(1)).GetValue(1)!.Value, 1e-12);
    }

    [Fact]
    public async Task A_worker_lost_mid_query_has_its_shards_answered_by_another_holder()
    {
        // Two holders of the same shards, each in its own directory (workers sharing one directory
        // are one node: either may answer its shard tasks).
        var a = Path.Combine(_root, "a");
        var b = Path.Combine(_root, "b");
        for (var i = 0; i < 6; i++)
        {
            WriteShard(a, "trips", $"s{i}", 2_000, i + 1);
            WriteShard(b, "trips", $"s{i}", 2_000, i + 1);
        }
        var doomed = await _cluster.StartWorkerAsync(1, "--data-dir", a);
        await _cluster.StartWorkerAsync(1, "--data-dir", b);
        using var client = _cluster.Client();
        await WaitForDatasetAsync(client, "trips", 6, holdings: 12);

        // Frozen, it still counts as connected until its lease expires, so the query gives it shards;
        // then it dies for good. Its shards must be asked of the other holder.
        doomed.Signal(19); // SIGSTOP
        using var http = _cluster.Http(_cluster.AdminToken);
        var query = GroupByAsync(http, "trips", new { by = new[] { "payment_type" }, aggregate = new[] { new[] { "fare_amount", "count", "n" } } });
        await Task.Delay(500, Token);
        doomed.Signal(PosixProcess.SigKill);
        var answer = await query;
        Assert.Equal(12_000, RowsOf(answer).Sum(r => r["n"].GetInt64()));
        Assert.Equal(6, answer.GetProperty("shards").GetArrayLength());
        // Tasks beyond one per shard are the retries; the lost worker's own ones were canceled.
        var tasks = answer.GetProperty("tasks").EnumerateArray().Select(t => t.GetGuid()).ToList();
        Assert.True(tasks.Count > 6, $"the frozen worker got no shard: {tasks.Count} tasks");
        var records = await Task.WhenAll(tasks.Select(id => client.GetTaskAsync(id, Token)));
        Assert.Equal(6, records.Count(r => r!.Status == Model.TaskState.Succeeded));
        Assert.All(records.Where(r => r!.Status != Model.TaskState.Succeeded), r => Assert.Equal(Model.TaskState.Canceled, r!.Status));

        // With no holder left, a query fails naming the shard, and leaves no task running.
        var last = _cluster.Workers[1];
        last.Signal(19);
        using var response = await http.PostAsJsonAsync("api/datasets/trips/groupby", new { aggregate = new[] { new[] { "fare_amount", "count" } } }, Token);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Token)).RootElement;
        Assert.StartsWith("s", problem.GetProperty("shard").GetString(), StringComparison.Ordinal);
        Assert.Contains("lost", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        last.Signal(PosixProcess.SigKill);
    }

    [Fact]
    public async Task Bad_group_bys_are_400s_naming_the_field_and_run_nothing()
    {
        var data = Path.Combine(_root, "bad");
        WriteShard(data, "trips", "s0", 100, 1);
        await _cluster.StartWorkerAsync(1, "--data-dir", data);
        using var client = _cluster.Client();
        await WaitForDatasetAsync(client, "trips", 1, holdings: 1);
        using var http = _cluster.Http(_cluster.AdminToken);

        async Task Refused(object body, string field, HttpStatusCode status = HttpStatusCode.BadRequest, string dataset = "trips")
        {
            using var response = await http.PostAsJsonAsync($"api/datasets/{dataset}/groupby", body, Token);
            var text = await response.Content.ReadAsStringAsync(Token);
            Assert.True(response.StatusCode == status, $"{JsonSerializer.Serialize(body)}: {(int)response.StatusCode} {text}");
            if (status == HttpStatusCode.BadRequest)
                Assert.True(JsonDocument.Parse(text).RootElement.GetProperty("errors").TryGetProperty(field, out _), $"{JsonSerializer.Serialize(body)} did not name {field}: {text}");
        }

        await Refused(new { aggregate = new[] { new[] { "fare_amount", "sum" } } }, "", HttpStatusCode.NotFound, dataset: "nope");
        await Refused(new { by = new[] { "nope" }, aggregate = new[] { new[] { "fare_amount", "sum" } } }, "by[0]");
        await Refused(new { aggregate = new[] { new[] { "payment_type", "mean" } } }, "aggregate[0]");
        await Refused(new { aggregate = new[] { new[] { "fare_amount", "median" } } }, "aggregate[0]");
        await Refused(new { aggregate = new[] { new[] { "fare_amount" } } }, "aggregate[0]");
        await Refused(new { aggregate = System.Array.Empty<string[]>() }, "aggregate");
        await Refused(new { aggregate = new[] { new[] { "fare_amount", "sum" } }, where = new object[] { new object[] { "fare_amount", "~", 1 } } }, "where[0]");
        await Refused(new { aggregate = new[] { new[] { "fare_amount", "sum" } }, where = new object[] { new object[] { "fare_amount", ">", "cheap" } } }, "where[0]");
        await Refused(new { aggregate = new[] { new[] { "fare_amount", "sum" } }, where = new object[] { new object[] { "payment_type", "in", "card" } } }, "where[0]");
        await Refused(new { aggregate = new[] { new[] { "fare_amount", "sum" } }, shards = new[] { "s9" } }, "shards[0]");
        await Refused(new { aggregate = new[] { new[] { "fare_amount", "sum" } }, timeout = "forever" }, "timeout");
        await Refused(new { aggregate = new[] { new[] { "fare_amount", "sum" } }, bogus = 1 }, "bogus");
        Assert.DoesNotContain(await client.ListBatchesAsync(Token), b => b.Name == "dataset:trips");

        // The worker protocol's announcement is checked too.
        var worker = (await client.ListWorkersAsync(Token)).Single();
        using var workerHttp = _cluster.Http(_cluster.WorkerToken);
        using var bad = await workerHttp.PutAsJsonAsync($"api/workers/{worker.Id}/shards",
            new { handler = "resize", shards = new[] { new { dataset = "../etc", shard = "s0", generation = 1, rows = 1, bytes = 1, checksum = "x", schema = System.Array.Empty<object>() } } }, Token);
        var badText = await bad.Content.ReadAsStringAsync(Token);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("\"handler\"", badText, StringComparison.Ordinal);
        Assert.Contains("shards[0].dataset", badText, StringComparison.Ordinal);
        Assert.Single((await client.GetDatasetAsync("trips", Token)).Shards);
    }

    [Fact]
    public async Task The_catalogue_follows_the_data_directory_the_workers_and_a_server_restart()
    {
        var data = Path.Combine(_root, "live");
        WriteShard(data, "trips", "s0", 100, 1);
        var worker = await _cluster.StartWorkerAsync(1, "--data-dir", data);
        using var client = _cluster.Client();
        await WaitForDatasetAsync(client, "trips", 1, holdings: 1);

        // A shard written aside and moved in (as import does) is announced; one removed is dropped.
        var aside = WriteShard(Path.Combine(_root, "aside"), "trips", "s1", 50, 2);
        File.Move(aside, Path.Combine(data, "trips", "s1.parquet"));
        Assert.Equal(150, (await WaitForDatasetAsync(client, "trips", 2, holdings: 2)).Rows);
        File.Delete(Path.Combine(data, "trips", "s0.parquet"));
        Assert.Equal(50, (await WaitForDatasetAsync(client, "trips", 1, holdings: 1)).Rows);

        // A restarted server knows the worker (its record) but not its shards: it asks, the worker tells.
        await _cluster.KillServerAsync();
        await _cluster.StartServerAsync();
        using var afterRestart = _cluster.Client();
        Assert.Equal("s1", (await WaitForDatasetAsync(afterRestart, "trips", 1, holdings: 1)).Shards[0].Shard);

        // A worker that stops takes its shards with it.
        worker.Signal(PosixProcess.SigTerm);
        await worker.WaitForExitAsync(TimeSpan.FromSeconds(30));
        using var response = await _cluster.Http(_cluster.AdminToken).GetAsync("api/datasets/trips", Token);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    /// <summary>Runs one step of a distribution on a worker, as the server's tickets will: a task for its stage handler.</summary>
    private static async Task<Model.TaskRecord> StageAsync(DroverClient client, string handler, StageOrder order)
    {
        var task = await client.CreateTaskAsync(new TaskSpec
        {
            Handler = ShardHandlers.StageHandlerOf(handler),
            Args = JsonSerializer.SerializeToElement(order, Json.DroverJson.Options),
        }, Token);
        var answer = await client.WaitAsync([task.Id], TimeSpan.FromSeconds(60), Token);
        return Assert.Single(answer.Done);
    }

    [Fact]
    public async Task A_worker_stages_a_new_generation_aside_switches_it_with_one_rename_and_drops_a_failed_one()
    {
        var data = Path.Combine(_root, "node");
        WriteShard(data, "trips", "s0", 100, 1);
        var source = Path.Combine(_root, "source");
        WriteShard(source, "trips", "s0", 300, 2);
        WriteShard(source, "trips", "s1", 200, 3);
        await _cluster.StartWorkerAsync(1, "--data-dir", data);
        using var client = _cluster.Client();
        await WaitForDatasetAsync(client, "trips", 1, holdings: 1);
        var worker = (await client.ListWorkersAsync(Token)).Single();
        var handler = worker.Handlers!.Single(ShardHandlers.IsShardHandler);

        var files = await ObjectSources.ListAsync(new Uri(Path.Combine(source, "trips") + "/").ToString(), null, Token);
        Assert.Equal(["s0", "s1"], files.Select(f => f.Shard));
        var fetched = await StageAsync(client, handler, new StageOrder { Action = "fetch", Dataset = "trips", Generation = 2, Files = files });
        Assert.True(fetched.Status == Model.TaskState.Succeeded, fetched.Error);
        Assert.Equal(1.0, fetched.Progress);
        Assert.True(Directory.Exists(Path.Combine(data, "trips", "gen-2.staging")));
        // Staged is not served: the catalogue still shows generation 1 only.
        Assert.Equal(1, (await client.GetDatasetAsync("trips", Token)).Generation);

        var switched = await StageAsync(client, handler, new StageOrder { Action = "switch", Dataset = "trips", Generation = 2 });
        Assert.True(switched.Status == Model.TaskState.Succeeded, switched.Error);
        var dataset = await WaitForDatasetAsync(client, "trips", 2, holdings: 2);
        Assert.Equal(2, dataset.Generation);
        Assert.Equal(500, dataset.Rows);
        // Generation 1 stays (it may serve queries planned before the switch), and answers when named.
        Assert.True(File.Exists(Path.Combine(data, "trips", "s0.parquet")));
        using var http = _cluster.Http(_cluster.AdminToken);
        var counts = RowsOf(await GroupByAsync(http, "trips", new { aggregate = new[] { new[] { "fare_amount", "count", "n" } } }));
        Assert.Equal(500, Assert.Single(counts)["n"].GetInt64());

        // A download that fails (a size that does not match) leaves no staging behind; drop is harmless.
        var bad = await StageAsync(client, handler, new StageOrder
        {
            Action = "fetch", Dataset = "trips", Generation = 3, Files = [files[0] with { Bytes = files[0].Bytes + 1 }],
        });
        Assert.Equal(Model.TaskState.Failed, bad.Status);
        Assert.Contains("were listed", bad.Error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(data, "trips", "gen-3.staging")));
        var dropped = await StageAsync(client, handler, new StageOrder { Action = "drop", Dataset = "trips", Generation = 3 });
        Assert.Equal(Model.TaskState.Succeeded, dropped.Status);
        var escape = await StageAsync(client, handler, new StageOrder { Action = "drop", Dataset = "..", Generation = 3 });
        Assert.Equal(Model.TaskState.Failed, escape.Status);
    }
}
