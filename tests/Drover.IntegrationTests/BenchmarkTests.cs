using System.Diagnostics;
using System.Text.Json;

namespace Drover.IntegrationTests;

/// <summary>
/// Each benchmark scenario runs to completion on a small count, so the benchmark cannot rot. The
/// figures are printed, never judged: timings are not asserted.
/// </summary>
public sealed class BenchmarkTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private static async Task<JsonElement> RunAsync(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Drover.Bench.dll"));
        foreach (var arg in args) start.ArgumentList.Add(arg);
        start.ArgumentList.Add("--json");
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync(Token);
        var error = process.StandardError.ReadToEndAsync(Token);
        await process.WaitForExitAsync(Token);
        Assert.True(process.ExitCode == 0, $"bench {string.Join(' ', args)} exited {process.ExitCode}: {await error}");
        return JsonDocument.Parse((await output).Trim().Split('\n')[^1]).RootElement;
    }

    [Theory]
    [InlineData("echo", "sqlite")]
    [InlineData("echo", "memory")]
    [InlineData("shell", "sqlite")]
    public async Task Throughput_runs_to_completion(string kind, string store)
    {
        var result = await RunAsync("throughput", "--tasks", "200", "--batch-size", "50", "--kind", kind, "--store", store, "--workers", "1", "--concurrency", "2");
        Assert.Equal(200, result.GetProperty("tasks").GetInt32());
        Assert.Equal(0, result.GetProperty("failed").GetInt32());
        Assert.True(result.GetProperty("tasks_per_second").GetDouble() > 0);
        Assert.True(result.GetProperty("server_peak_rss_mib").GetDouble() > 0);
        // Read from the server's /metrics (.NET's runtime meter) and from the bench's own GC.
        Assert.True(result.GetProperty("server_allocated_mb").GetDouble() >= 0);
        Assert.True(result.GetProperty("client_allocated_mb").GetDouble() >= 0);
        if (kind == "shell") Assert.True(result.GetProperty("ratio_to_baseline").GetDouble() > 0);
    }

    [Fact]
    public async Task Recruit_benchmark_deploys_and_gives_back_every_worker()
    {
        var result = await RunAsync("recruit", "--tasks", "20", "--seconds", "0.01", "--workers", "2", "--concurrency", "2", "--idle-timeout", "1");
        Assert.Equal(2, result.GetProperty("deploys").GetInt32());
        Assert.Equal(2, result.GetProperty("given_back").GetInt32());
        Assert.True(result.GetProperty("recruited_over_hand_makespan").GetDouble() > 0);
    }

    [Fact]
    public async Task Hangfire_benchmark_runs_both_to_completion()
    {
        var result = await RunAsync("hangfire", "--tasks", "300", "--workers", "1", "--concurrency", "2");
        Assert.True(result.GetProperty("hangfire_per_second").GetDouble() > 0);
        Assert.True(result.GetProperty("drover_over_hangfire").GetDouble() > 0);
    }

    [Fact]
    public async Task Groupby_benchmark_agrees_with_duckdb_and_pandas()
    {
        var result = await RunAsync("groupby", "--rows", "50000", "--shards", "4", "--workers", "2", "--concurrency", "2", "--repeat", "1");
        Assert.Equal(4, result.GetProperty("shards").GetInt32());
        Assert.True(result.GetProperty("drover_over_duckdb").GetDouble() > 0);
        // pandas is Debian's python3-pandas, which .ci/run installs: the comparison is part of the test.
        Assert.True(result.GetProperty("pandas_ms").ValueKind == JsonValueKind.Number, result.ToString());
        foreach (var engine in new[] { "drover", "pandas" })
        {
            Assert.True(result.GetProperty($"{engine}_count_min_max_exact").GetBoolean(), result.ToString());
            Assert.True(double.Parse(result.GetProperty($"{engine}_max_relative_difference").GetString()!, System.Globalization.CultureInfo.InvariantCulture) < 1e-9, result.ToString());
        }
    }

    [Fact]
    public async Task Staging_benchmark_moves_the_object_both_ways_beside_curl()
    {
        var result = await RunAsync("staging", "--size", "20MB", "--repeat", "1");
        Assert.Equal(20L << 20, result.GetProperty("bytes").GetInt64());
        Assert.True(result.GetProperty("staging_over_curl").GetDouble() > 0);
        Assert.True(result.GetProperty("upload_over_curl").GetDouble() > 0);
    }

    [Theory]
    [InlineData("on")]
    [InlineData("off")] // the worker leases and reports over HTTP requests only
    public async Task Latency_runs_to_completion(string channel)
    {
        var result = await RunAsync("latency", "--count", "20", "--warmup", "0.5", "--workers", "1", "--channel", channel);
        Assert.Equal(channel, result.GetProperty("channel").GetString());
        Assert.Equal(20, result.GetProperty("count").GetInt32());
        Assert.True(result.GetProperty("p50_ms").GetDouble() <= result.GetProperty("max_ms").GetDouble());
        Assert.True(result.GetProperty("durable_commit_p50_ms").GetDouble() > 0);
        Assert.True(result.GetProperty("p50_over_http_and_one_commit").GetDouble() > 0);
        Assert.True(result.GetProperty("p99_over_p50").GetDouble() >= 1);
    }

    [Fact]
    public async Task Frames_benchmark_round_trips_both_encodings()
    {
        var result = await RunAsync("frames", "--tasks", "50", "--repeat", "3");
        Assert.True(result.GetProperty("json_bytes_per_task").GetInt32() > 0);
        Assert.True(result.GetProperty("msgpack_bytes_per_task").GetInt32() > 0);
        Assert.True(result.GetProperty("msgpack_over_json_time").GetDouble() > 0);
    }

    [Fact]
    public async Task Spawn_baseline_runs_to_completion()
    {
        var result = await RunAsync("spawn-baseline", "--tasks", "50", "--parallel", "2");
        Assert.Equal(50, result.GetProperty("processes").GetInt32());
    }

    [Fact]
    public async Task Tracker_benchmark_runs_to_completion_with_its_child_processes()
    {
        var result = await RunAsync("tracker", "--updates", "2000", "--processes", "2", "--threads", "2");
        Assert.True(result.GetProperty("one_process_per_second").GetDouble() > 0);
        Assert.Equal(1000, result.GetProperty("claim_keys").GetInt32());
    }

    [Fact]
    public async Task Subscribers_in_the_benchmark_run_to_completion()
    {
        var result = await RunAsync("throughput", "--tasks", "200", "--batch-size", "50", "--workers", "1", "--concurrency", "2", "--subscribers", "20");
        Assert.Equal(20, result.GetProperty("subscribers").GetInt32());
        Assert.True(result.GetProperty("event_messages").GetInt64() > 0);
    }

    [Fact]
    public async Task Simulated_workers_run_every_task_once()
    {
        var result = await RunAsync("workers", "--count", "20", "--tasks", "400", "--batch-size", "100", "--concurrency", "2");
        Assert.Equal(0, result.GetProperty("failed").GetInt32());
        Assert.Equal(0, result.GetProperty("tasks_not_run_once").GetInt32());
        Assert.Equal(400, result.GetProperty("finished_reported").GetInt32());
        Assert.True(result.GetProperty("lease_requests_per_second").GetDouble() > 0);
    }

    [Fact]
    public async Task Purge_benchmark_purges_every_ended_task_while_round_trips_go_on()
    {
        var result = await RunAsync("purge", "--records", "3000");
        // The synthetic tasks, all ended; not the echo tasks measured before and during.
        Assert.Equal(3000, result.GetProperty("asked").GetInt32());
        Assert.Equal(3000, result.GetProperty("purged").GetInt32());
        // What is left are the echo tasks of the round trips.
        Assert.Equal(100 + 20 + result.GetProperty("round_trips_during").GetInt32(), result.GetProperty("tasks_left").GetInt32());
        Assert.True(result.GetProperty("round_trip_before_p50_ms").GetDouble() > 0);
    }

    [Fact]
    public async Task Purge_benchmark_lets_keep_finished_purge_the_oldest_while_round_trips_go_on()
    {
        // The server restarted with a retention that covers the oldest thousand: the bench waits until they are gone.
        var result = await RunAsync("purge", "--records", "3000", "--purge", "1000", "--retention");
        // What ended before the thousandth task's end (a few more), and at most the few that ended in
        // the seconds between the bench's clock and the server's.
        var asked = result.GetProperty("asked").GetInt32();
        Assert.InRange(asked, 1000, 1300);
        Assert.InRange(result.GetProperty("purged").GetInt32(), asked, asked + 10);
        Assert.True(result.GetProperty("round_trip_before_p50_ms").GetDouble() > 0);
    }

    [Theory]
    [InlineData("--purge must be at least 1", "purge", "--records", "100", "--purge", "0")]
    [InlineData("--warmup must be a number of seconds", "latency", "--warmup", "-1")]
    public async Task Benchmark_refuses_a_bad_option_by_name(string refusal, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in (string[])[Path.Combine(AppContext.BaseDirectory, "Drover.Bench.dll"), .. args]) start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync(Token);
        var error = await process.StandardError.ReadToEndAsync(Token);
        await process.WaitForExitAsync(Token);
        Assert.NotEqual(0, process.ExitCode);
        Assert.Contains(refusal, await output + error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bad_bodies_benchmark_runs_to_completion()
    {
        var result = await RunAsync("bad-bodies", "--count", "3", "--settle", "0.5");
        Assert.Equal(3, result.GetProperty("bodies_each_way").GetInt32());
        Assert.True(result.GetProperty("rss_peak_mib").GetInt64() >= result.GetProperty("rss_start_mib").GetInt64());
    }
}
