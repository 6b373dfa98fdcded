using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Drover.IntegrationTests.Infrastructure;
using Drover.Model;

namespace Drover.IntegrationTests;

/// <summary>
/// Metrics, traces and logs from a real server: the Prometheus scrape's counters equal what ran;
/// /metrics takes the admin token unless --public-metrics; --otlp sends metrics and traces to a
/// collector (a web server in the test that records what it is sent); --log-format json.
/// </summary>
public sealed class ObservabilityTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private static double Sample(string scrape, string metric, params string[] labels)
    {
        foreach (var line in scrape.Split('\n'))
        {
            if (!line.StartsWith(metric + "{", StringComparison.Ordinal) && !line.StartsWith(metric + " ", StringComparison.Ordinal)) continue;
            if (labels.All(l => line.Contains(l, StringComparison.Ordinal))) return double.Parse(line[(line.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
        }
        return double.NaN;
    }

    [Fact]
    public async Task The_scrape_counts_what_ran_and_takes_the_admin_token()
    {
        await using var cluster = new DroverCluster();
        await cluster.StartServerAsync();
        await cluster.StartWorkerAsync();
        using var client = cluster.Client();
        var tasks = await client.CreateTasksAsync([
            .. Enumerable.Range(0, 7).Select(_ => Specs.Command("true") with { Batch = "metered" }),
            .. Enumerable.Range(0, 3).Select(_ => Specs.Command("false") with { Batch = "metered" })], Token);
        await client.WaitAllAsync([.. tasks.Select(t => t.Id)], Token);
        await client.BatchAsync("metered-later", "pause", Token);
        await client.CreateTasksAsync([.. Enumerable.Range(0, 4).Select(_ => Specs.Command("true") with { Batch = "metered-later" })], Token);
        // Two tasks for a handler no worker offers: they wait queued, counted by handler.
        await client.CreateTasksAsync([.. Enumerable.Range(0, 2).Select(_ => new Contracts.TaskSpec { Handler = "nobody.offers", Batch = "metered-handlers" })], Token);

        using var http = cluster.Http(cluster.AdminToken);
        // The gauges are read from the store every 5 s.
        var scrape = await Eventually.ValueAsync(() => http.GetStringAsync("metrics", Token),
            s => Sample(s, "drover_queue_depth", "batch=\"metered-later\"", "state=\"queued\"") == 4, TimeSpan.FromSeconds(30), "the queue depth gauge");
        Assert.Equal(10, Sample(scrape, "drover_tasks_created_total", "batch=\"metered\""));
        Assert.Equal(4, Sample(scrape, "drover_tasks_created_total", "batch=\"metered-later\""));
        Assert.Equal(7, Sample(scrape, "drover_tasks_ended_total", "batch=\"metered\"", "state=\"succeeded\""));
        Assert.Equal(3, Sample(scrape, "drover_tasks_ended_total", "batch=\"metered\"", "state=\"failed\""));
        Assert.Equal(7, Sample(scrape, "drover_task_run_duration_seconds_count", "batch=\"metered\"", "state=\"succeeded\""));
        Assert.Equal(10, Sample(scrape, "drover_task_lease_wait_seconds_count", "batch=\"metered\""));
        Assert.Equal(1, Sample(scrape, "drover_workers", "state=\"running\""));
        Assert.Equal(2, Sample(scrape, "drover_queue_handler_depth", "handler=\"nobody.offers\""));
        Assert.Equal(0, Sample(scrape, "drover_queue_handler_depth", "handler=\"echo\""));
        Assert.True(Sample(scrape, "drover_store_commit_duration_seconds_count") > 0);
        Assert.True(Sample(scrape, "http_server_request_duration_seconds_count") > 0);
        // .NET's runtime meter: what the bench reads the server's allocations from.
        Assert.True(Sample(scrape, "dotnet_gc_heap_total_allocated_bytes_total") > 0);

        using var anonymous = cluster.Http();
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("metrics", Token)).StatusCode);
        var reader = (await client.CreateTokenAsync(new Contracts.TokenSpec { Name = "reader", Role = "read" }, Token)).Secret;
        using var readHttp = cluster.Http(reader);
        Assert.Equal(HttpStatusCode.Forbidden, (await readHttp.GetAsync("metrics", Token)).StatusCode);
    }

    [Fact]
    public void Gauges_that_cost_the_store_much_are_read_less_often()
    {
        // Cheap rounds keep the 5-s rhythm; a round of 2 s (millions queued) waits 40 s.
        Assert.Equal(Server.Observability.GaugeSnapshot.Every, Server.Observability.GaugeSnapshot.NextRoundIn(TimeSpan.FromMilliseconds(3)));
        Assert.Equal(Server.Observability.GaugeSnapshot.Every, Server.Observability.GaugeSnapshot.NextRoundIn(TimeSpan.FromMilliseconds(250)));
        Assert.Equal(TimeSpan.FromSeconds(40), Server.Observability.GaugeSnapshot.NextRoundIn(TimeSpan.FromSeconds(2)));
    }

    [Fact]
    public async Task A_bad_log_format_or_collector_url_stops_the_command_with_one_line()
    {
        var data = Directory.CreateTempSubdirectory("drover-bad-otel-").FullName;
        try
        {
            foreach (var (args, says) in new (string[] Args, string Says)[]
            {
                (["server", "--port", "0", "--log-format", "xml"], "--log-format must be simple or json, not 'xml'"),
                (["up", "--port", "0", "--log-format", "yaml"], "--log-format must be simple or json, not 'yaml'"),
                (["worker", "--log-format", "xml"], "--log-format must be simple or json, not 'xml'"),
                (["server", "--port", "0", "--otlp", "ftp://collector"], "--otlp: 'ftp://collector' is not an http(s) URL"),
                (["server", "--port", "0", "--otlp", "collector:4317"], "--otlp: 'collector:4317' is not an http(s) URL"),
            })
            {
                var (code, output) = await DroverProcess.RunAsync([.. args, "--data", data]);
                Assert.Equal(2, code);
                Assert.Contains(says, output);
                Assert.DoesNotContain("   at ", output);
            }
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    [Fact]
    public async Task Public_metrics_otlp_to_a_collector_and_json_logs()
    {
        var received = new ConcurrentBag<(string Path, string Type, long Length, string Text)>();
        await using var collector = new TestWebServer(async (context, stop) =>
        {
            using var body = new MemoryStream();
            await context.Request.InputStream.CopyToAsync(body, stop);
            received.Add((context.Request.Url!.AbsolutePath, context.Request.ContentType ?? "", body.Length, System.Text.Encoding.Latin1.GetString(body.ToArray())));
            context.Response.StatusCode = 200;
            context.Response.Close();
        });
        await using var cluster = new DroverCluster(extraServerArgs: ["--public-metrics", "--otlp", collector.Url + "otlp/", "--log-format", "json"]);
        cluster.Environment["OTEL_METRIC_EXPORT_INTERVAL"] = "1000";
        cluster.Environment["OTEL_BSP_SCHEDULE_DELAY"] = "500";
        await cluster.StartServerAsync();
        var worker = await cluster.StartWorkerAsync(2, "--log-format", "json");
        using var client = cluster.Client();
        await client.WaitAllAsync([(await client.CreateTaskAsync(Specs.Command("true"), Token)).Id], Token);
        // A signal to a running task: the worker's log line about it carries the task's and the worker's ids as scopes.
        var sleeper = await client.CreateTaskAsync(Specs.Command("sleep", "30"), Token);
        await Eventually.ValueAsync(async () => (await client.GetTaskAsync(sleeper.Id, Token))!.Status, s => s == TaskState.Running, TimeSpan.FromSeconds(30), "the sleeper runs");
        await client.SignalAsync(sleeper.Id, TaskSignal.Kill, Token);
        var signaled = await worker.WaitForLineAsync("by request", TimeSpan.FromSeconds(30));
        using (var entry = JsonDocument.Parse(signaled))
        {
            var scopes = entry.RootElement.GetProperty("Scopes")[0];
            Assert.Equal(sleeper.Id.ToString(), scopes.GetProperty("task_id").GetString());
            Assert.True(Guid.TryParse(scopes.GetProperty("worker_id").GetString(), out _), signaled);
        }

        using var anonymous = cluster.Http();
        // Without a token (--public-metrics); the killed task counts once its end is reported.
        var scrape = await Eventually.ValueAsync(() => anonymous.GetStringAsync("metrics", Token),
            text => Sample(text, "drover_tasks_ended_total", "state=\"canceled\"") == 1, TimeSpan.FromSeconds(30), "the canceled task counted");
        Assert.Equal(1, Sample(scrape, "drover_tasks_ended_total", "state=\"succeeded\""));

        await Eventually.ValueAsync(() => Task.FromResult(received.ToList()),
            r => r.Any(x => x.Path == "/otlp/v1/metrics" && x.Text.Contains("drover.tasks.ended", StringComparison.Ordinal))
                && r.Any(x => x.Path == "/otlp/v1/traces" && x.Text.Contains("drover.task.run", StringComparison.Ordinal)),
            TimeSpan.FromSeconds(30), "Drover's metrics and a task's spans posted to the collector");
        Assert.All(received, r => Assert.Equal("application/x-protobuf", r.Type));

        // Every log line of the server is one JSON object.
        var lines = cluster.Server!.Output.Split('\n').Where(l => l.StartsWith('{')).ToList();
        Assert.NotEmpty(lines);
        foreach (var line in lines)
        {
            using var entry = JsonDocument.Parse(line);
            Assert.True(entry.RootElement.TryGetProperty("Category", out _), line);
            Assert.True(entry.RootElement.TryGetProperty("Timestamp", out _), line);
        }
    }
}
