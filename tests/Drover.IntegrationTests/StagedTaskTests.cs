using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using Drover.IntegrationTests.Infrastructure;
using Drover.Contracts;
using Drover.Model;
using Drover.Storage;

namespace Drover.IntegrationTests;

/// <summary>
/// Tasks with data, end to end: a real server and real workers, inputs from a real S3 API (s3rver)
/// and a real web server, outputs uploaded to S3 and to a folder, a resource shared by many tasks,
/// and the failures a user meets (a missing key, a refused credential, a hostile archive), each
/// named in the task's reason.
/// </summary>
public sealed class StagedTaskTests : IAsyncLifetime
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;
    private readonly string _root = Directory.CreateTempSubdirectory("drover-staged-").FullName;
    private S3Server _s3 = null!;
    private DroverCluster _cluster = null!;

    public async ValueTask InitializeAsync()
    {
        _s3 = await S3Server.StartAsync("lab");
        _cluster = new DroverCluster(leaseTimeout: "5s");
        foreach (var (key, value) in _s3.Environment) _cluster.Environment[key] = value;
        await _cluster.StartServerAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await _cluster.DisposeAsync();
        await _s3.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }

    private string PathOf(string name) => Path.Combine(_root, name);

    private static TaskSpec Shell(string text, string? input = null, string? output = null) => Specs.Shell(text) with
    {
        Input = input is null ? null : JsonSerializer.SerializeToElement(input),
        Output = output,
    };

    private async Task<TaskRecord> RunAsync(TaskSpec spec)
    {
        using var client = _cluster.Client();
        var created = await client.CreateTasksAsync([spec], Token);
        return (await client.WaitAllAsync([created[0].Id], Token))[0];
    }

    private async Task<string> GetS3Async(string key)
    {
        using var s3 = _s3.Client();
        using var answer = await s3.GetObjectAsync(_s3.Bucket, key, Token);
        using var reader = new StreamReader(answer.ResponseStream);
        return await reader.ReadToEndAsync(Token);
    }

    [Fact]
    public async Task An_input_from_s3_is_fetched_and_unpacked_and_the_output_uploaded_with_each_phase_recorded()
    {
        await using (var gz = new GZipStream(File.Create(PathOf("reads.txt.gz")), CompressionLevel.Fastest))
            await gz.WriteAsync(Encoding.UTF8.GetBytes("r1\nr2\nr3\n"), Token);
        await _s3.PutAsync("samples/reads.txt.gz", PathOf("reads.txt.gz"), Token);
        await _cluster.StartWorkerAsync(concurrency: 1);

        var task = await RunAsync(Shell(
            "wc -l < $INPUT/reads.txt > $OUTPUT/count.txt && mkdir $OUTPUT/logs && echo ok > $OUTPUT/logs/run.log && " +
            "test -d $TMP && test -d $RESOURCE && test \"$TMPDIR\" = \"$TMP\" && pwd",
            input: "s3://lab/samples/reads.txt.gz|gunzip", output: "s3://lab/results/sample-1/"));

        Assert.Equal(TaskState.Succeeded, task.Status);
        Assert.Equal("3", (await GetS3Async("results/sample-1/count.txt")).Trim());
        Assert.Equal("ok", (await GetS3Async("results/sample-1/logs/run.log")).Trim());
        var transfer = task.Transfer!;
        Assert.Equal(ExecutionPhase.Uploading, transfer.Phase);
        Assert.True(transfer.BytesIn > 0);
        Assert.True(transfer.BytesOut > 0);
        Assert.NotNull(transfer.StagingSeconds);
        Assert.NotNull(transfer.UploadSeconds);
        Assert.Equal(transfer.Folder, (await GetTaskAsync(task.Id)).Stdout!.Trim()); // the run ran in its folder
        Assert.False(Directory.Exists(transfer.Folder)); // and nothing is left of it
        Assert.Contains("uploaded output", task.StatusMessage, StringComparison.Ordinal);
        using var client = _cluster.Client();
        Assert.Equal(transfer, Assert.Single(await client.ListExecutionsAsync(task.Id, Token)).Transfer);
    }

    private async Task<TaskRecord> GetTaskAsync(Guid id)
    {
        using var client = _cluster.Client();
        return (await client.GetTaskAsync(id, Token))!;
    }

    [Fact]
    public async Task A_missing_key_or_a_refused_credential_fails_the_task_naming_the_input()
    {
        await _cluster.StartWorkerAsync(concurrency: 1);
        var missing = await RunAsync(Shell("cat $INPUT/*", input: "s3://lab/nothing/here.txt"));
        Assert.Equal(TaskState.Failed, missing.Status);
        Assert.StartsWith("input s3://lab/nothing/here.txt: 404", missing.Reason, StringComparison.Ordinal);
        Assert.Null(missing.ExitCode);

        await _cluster.Workers[0].DisposeAsync();
        _cluster.Environment["AWS_ACCESS_KEY_ID"] = "NOT-THE-KEY";
        await _cluster.StartWorkerAsync(concurrency: 1);
        File.WriteAllText(PathOf("a.txt"), "a");
        await _s3.PutAsync("in/a.txt", PathOf("a.txt"), Token);
        var refused = await RunAsync(Shell("cat $INPUT/a.txt", input: "s3://lab/in/a.txt"));
        Assert.Equal(TaskState.Failed, refused.Status);
        Assert.StartsWith("input s3://lab/in/a.txt: 403", refused.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_archive_with_an_entry_outside_its_folder_is_refused()
    {
        await using (var file = File.Create(PathOf("evil.tar")))
        await using (var tar = new TarWriter(file, TarEntryFormat.Pax))
        {
            var entry = new PaxTarEntry(TarEntryType.RegularFile, "../../escaped.txt") { DataStream = new MemoryStream("x"u8.ToArray()) };
            await tar.WriteEntryAsync(entry, Token);
        }
        await _cluster.StartWorkerAsync(concurrency: 1);
        var task = await RunAsync(Shell("ls $INPUT", input: new Uri(PathOf("evil.tar")).AbsoluteUri + "|untar"));
        Assert.Equal(TaskState.Failed, task.Status);
        Assert.Contains("../../escaped.txt", task.Reason, StringComparison.Ordinal);
        Assert.Contains("refused", task.Reason, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(Path.GetTempPath(), "escaped.txt")));
    }

    [Fact]
    public async Task A_failed_run_uploads_its_output_only_with_output_on_always()
    {
        await _cluster.StartWorkerAsync(concurrency: 2);
        var folder = Directory.CreateDirectory(PathOf("out")).FullName;
        var quiet = Shell("echo partial > $OUTPUT/quiet.txt; exit 3", output: new Uri(folder + "/quiet/").AbsoluteUri);
        var always = Shell("echo partial > $OUTPUT/log.txt; exit 3", output: new Uri(folder + "/always/").AbsoluteUri) with { OutputOn = "always" };
        using var client = _cluster.Client();
        var created = await client.CreateTasksAsync([quiet, always], Token);
        var ended = await client.WaitAllAsync([.. created.Select(t => t.Id)], Token);

        Assert.All(ended, t => Assert.Equal((TaskState.Failed, 3), (t.Status, t.ExitCode)));
        Assert.False(Directory.Exists(Path.Combine(folder, "quiet")));
        Assert.Equal("partial", File.ReadAllText(Path.Combine(folder, "always", "log.txt")).Trim());
    }

    [Fact]
    public async Task A_resource_is_downloaded_once_for_twenty_tasks_and_again_when_the_remote_changes()
    {
        var tarball = PathOf("db.tar.gz");
        await using (var file = File.Create(tarball))
        await using (var gz = new GZipStream(file, CompressionLevel.Fastest))
        await using (var tar = new TarWriter(gz, TarEntryFormat.Pax))
        {
            await tar.WriteEntryAsync(new PaxTarEntry(TarEntryType.RegularFile, "db/v.txt") { DataStream = new MemoryStream("v1"u8.ToArray()) }, Token);
        }
        await using var web = new VersionedWebServer(File.ReadAllBytes(tarball), "\"v1\"");
        await _cluster.StartWorkerAsync(concurrency: 4);
        var resource = JsonSerializer.SerializeToElement(new Uri(web.Url, "db.tar.gz") + "|untar");
        TaskSpec Reader() => Specs.Shell("cat $RESOURCE/db/v.txt; if echo x >> $RESOURCE/db/v.txt 2>/dev/null && [ $(id -u) != 0 ]; then exit 9; fi") with { Resource = resource };

        using var client = _cluster.Client();
        var created = await client.CreateTasksAsync([.. Enumerable.Range(0, 20).Select(_ => Reader())], Token);
        var ended = await client.WaitAllAsync([.. created.Select(t => t.Id)], Token);
        Assert.All(ended, t => Assert.Equal(TaskState.Succeeded, t.Status));
        foreach (var t in ended) Assert.StartsWith("v1", (await client.GetTaskAsync(t.Id, Token))!.Stdout, StringComparison.Ordinal);
        Assert.Equal(1, web.Gets);
        // The one download counts for the task whose staging made it, and for no other.
        Assert.Equal([new FileInfo(tarball).Length], ended.Select(t => t.Transfer!.BytesIn).Where(b => b > 0));

        // The remote changed: the next task gets the new version, fetched once more.
        await using (var file = File.Create(tarball))
        await using (var gz = new GZipStream(file, CompressionLevel.Fastest))
        await using (var tar = new TarWriter(gz, TarEntryFormat.Pax))
        {
            await tar.WriteEntryAsync(new PaxTarEntry(TarEntryType.RegularFile, "db/v.txt") { DataStream = new MemoryStream("v2"u8.ToArray()) }, Token);
        }
        web.Change(File.ReadAllBytes(tarball), "\"v2\"");
        var after = await RunAsync(Reader());
        Assert.StartsWith("v2", (await GetTaskAsync(after.Id)).Stdout, StringComparison.Ordinal);
        Assert.Equal(2, web.Gets);
        Assert.Contains("holding", _cluster.Workers[0].Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bad_uris_and_actions_are_a_400_naming_the_field_and_create_nothing()
    {
        using var http = _cluster.Http(_cluster.AdminToken);
        using var body = new StringContent("""
            {"command": "true", "input": ["s3://lab/ok.txt", "s3://lab/x|explode"], "output": "s3://lab/out/|gunzip", "container_options": "--cpus 2"}
            """, Encoding.UTF8, "application/json");
        using var answer = await http.PostAsync("/api/tasks", body, Token);
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, answer.StatusCode);
        var errors = JsonDocument.Parse(await answer.Content.ReadAsStringAsync(Token)).RootElement.GetProperty("errors");
        Assert.Contains("explode", errors.GetProperty("input[1]")[0].GetString(), StringComparison.Ordinal);
        Assert.True(errors.TryGetProperty("output", out _));
        Assert.True(errors.TryGetProperty("container_options", out _));
        using var client = _cluster.Client();
        Assert.Empty(await client.ListTasksAsync(new TaskListFilter(), Token));
    }

    [Fact]
    public async Task The_cli_submits_a_task_with_input_and_output()
    {
        File.WriteAllText(PathOf("hello.txt"), "hello from s3\n");
        await _s3.PutAsync("in/hello.txt", PathOf("hello.txt"), Token);
        await _cluster.StartWorkerAsync(concurrency: 1);
        var (code, output) = await _cluster.CliAsync("submit", "--wait", "--input", "s3://lab/in/hello.txt", "--output", "s3://lab/out/", "--shell",
            "--", "tr a-z A-Z < $INPUT/hello.txt > $OUTPUT/HELLO.txt");
        Assert.True(code == 0, output);
        Assert.Equal("HELLO FROM S3", (await GetS3Async("out/HELLO.txt")).Trim());

        // The README's walk-through, in this test's own folder.
        await using (var gz = new GZipStream(File.Create(PathOf("fruit.txt.gz")), CompressionLevel.Fastest))
            await gz.WriteAsync(Encoding.UTF8.GetBytes("cherry\napple\nbanana\n"), Token);
        Directory.CreateDirectory(PathOf("results"));
        (code, output) = await _cluster.CliAsync("submit", "--wait", "--input", $"file://{PathOf("fruit.txt.gz")}|gunzip", "--output", $"file://{PathOf("results")}/",
            "--shell", "--", "sort $INPUT/fruit.txt > $OUTPUT/sorted.txt");
        Assert.True(code == 0, output);
        Assert.Equal("apple\nbanana\ncherry\n", File.ReadAllText(PathOf("results/sorted.txt")));
        (code, output) = await _cluster.CliAsync("result", output.Trim().Split('\n')[^1]);
        Assert.True(code == 0, output);
        Assert.Contains("staged:    ", output, StringComparison.Ordinal);
        Assert.Contains("uploaded:  20 B in", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_cache_task_reuses_an_earlier_success_with_the_same_command_inputs_and_env_and_runs_when_any_changed()
    {
        File.WriteAllText(PathOf("sample.txt"), "acgt\n");
        await _s3.PutAsync("in/sample.txt", PathOf("sample.txt"), Token);
        await _cluster.StartWorkerAsync(concurrency: 1);
        var runs = PathOf("runs.log");
        TaskSpec Cached(string output, string colour = "blue") => Shell(
            $"echo run >> {runs}; tr a-z A-Z < $INPUT/sample.txt > $OUTPUT/upper.txt; echo $COLOUR $(cat /proc/sys/kernel/random/uuid) > $OUTPUT/run.txt",
            input: "s3://lab/in/sample.txt", output: output) with { Cache = true, Env = new Dictionary<string, string> { ["COLOUR"] = colour } };
        int Runs() => File.ReadAllLines(runs).Length;

        var first = await RunAsync(Cached("s3://lab/out/a/"));
        Assert.Equal((TaskState.Succeeded, null), (first.Status, first.CachedFrom));
        var again = await RunAsync(Cached("s3://lab/out/b/"));
        Assert.Equal((TaskState.Succeeded, first.Id), (again.Status, again.CachedFrom));
        Assert.Equal(1, Runs());
        Assert.Equal("ACGT", (await GetS3Async("out/b/upper.txt")).Trim());
        Assert.Equal(await GetS3Async("out/a/run.txt"), await GetS3Async("out/b/run.txt"));
        Assert.Equal(first.CacheKey, again.CacheKey);

        var otherEnv = await RunAsync(Cached("s3://lab/out/c/", colour: "red"));
        Assert.Equal((TaskState.Succeeded, null, 2), (otherEnv.Status, otherEnv.CachedFrom, Runs()));
        File.WriteAllText(PathOf("sample.txt"), "ttaa\n");
        await _s3.PutAsync("in/sample.txt", PathOf("sample.txt"), Token);
        var newInput = await RunAsync(Cached("s3://lab/out/d/"));
        Assert.Equal((TaskState.Succeeded, null, 3), (newInput.Status, newInput.CachedFrom, Runs()));
        Assert.Equal("TTAA", (await GetS3Async("out/d/upper.txt")).Trim());
        // Without cache: true, the same task always runs.
        var uncached = await RunAsync(Cached("s3://lab/out/e/") with { Cache = false });
        Assert.Equal((null, 4), (uncached.CachedFrom, Runs()));

        using var client = _cluster.Client();
        var found = await client.QueryTasksAsync(JsonSerializer.SerializeToElement(new { cached_from = first.Id }), 10, Token);
        Assert.Equal(again.Id, Assert.Single(found).Id);
    }

    [Fact]
    public async Task While_an_input_downloads_the_status_says_how_far_of_how_much()
    {
        var release = new TaskCompletionSource();
        var half = new byte[1 << 20];
        await using var web = new TestWebServer(async (context, ct) =>
        {
            context.Response.ContentLength64 = 2 * half.Length;
            await context.Response.OutputStream.WriteAsync(half, ct);
            await context.Response.OutputStream.FlushAsync(ct);
            await release.Task.WaitAsync(ct);
            await context.Response.OutputStream.WriteAsync(half, ct);
            context.Response.Close();
        });
        await _cluster.StartWorkerAsync(concurrency: 1);
        using var client = _cluster.Client();
        var task = (await client.CreateTasksAsync([Shell("wc -c < $INPUT/big.bin", input: new Uri(web.Url, "big.bin").ToString())], Token))[0];

        string? message = null;
        for (var i = 0; i < 300 && message?.Contains("1.0 MiB of 2.0 MiB", StringComparison.Ordinal) != true; i++)
        {
            await Task.Delay(100, Token);
            message = (await client.GetTaskAsync(task.Id, Token))!.StatusMessage;
        }
        Assert.Equal("downloading input 1/1, 1.0 MiB of 2.0 MiB", message);
        release.SetResult();
        var ended = (await client.WaitAllAsync([task.Id], Token))[0];
        Assert.Equal((TaskState.Succeeded, 2L << 20), (ended.Status, ended.Transfer!.BytesIn));
    }

    [Fact]
    public async Task A_task_paused_while_staging_starts_only_once_resumed()
    {
        var release = new TaskCompletionSource();
        await using var web = new TestWebServer(async (context, ct) =>
        {
            await release.Task.WaitAsync(ct);
            var body = Encoding.UTF8.GetBytes("data\n");
            context.Response.ContentLength64 = body.Length;
            await context.Response.OutputStream.WriteAsync(body, ct);
            context.Response.Close();
        });
        await _cluster.StartWorkerAsync(concurrency: 1);
        using var client = _cluster.Client();
        var marker = PathOf("started");
        var task = (await client.CreateTasksAsync([Shell($"touch {marker}", input: new Uri(web.Url, "data.txt").ToString())], Token))[0];
        for (var i = 0; i < 300 && (await client.GetTaskAsync(task.Id, Token))!.Status != TaskState.Running; i++) await Task.Delay(50, Token);
        Assert.Equal(TaskState.Paused, (await client.SignalTaskAsync(task.Id, TaskSignal.Pause, Token)).Status);
        // The signal reaches the worker with its next poll; then the download may end.
        await Task.Delay(TimeSpan.FromSeconds(1), Token);
        release.SetResult();
        for (var i = 0; i < 300 && (await client.GetTaskAsync(task.Id, Token))!.Transfer?.Phase != ExecutionPhase.Running; i++) await Task.Delay(50, Token);
        await Task.Delay(TimeSpan.FromSeconds(1), Token);
        Assert.False(File.Exists(marker), "the paused task started");
        Assert.Equal(TaskState.Paused, (await client.GetTaskAsync(task.Id, Token))!.Status);

        await client.SignalTaskAsync(task.Id, TaskSignal.Resume, Token);
        var ended = (await client.WaitAllAsync([task.Id], Token))[0];
        Assert.Equal(TaskState.Succeeded, ended.Status);
        Assert.True(File.Exists(marker));
    }
}
