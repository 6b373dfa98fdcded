using Drover.IntegrationTests.Infrastructure;
using Drover.Model;

namespace Drover.IntegrationTests;

/// <summary>The <c>drover</c> commands a user types, run as real processes against the shared cluster.</summary>
[Collection("cluster")]
public sealed class CliTests(SharedCluster shared)
{
    private readonly DroverCluster _cluster = shared.Cluster;
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Submit_prints_the_id_and_wait_exits_with_the_tasks_exit_code()
    {
        var (code, output) = await _cluster.CliAsync("submit", "--name", "cli-exit", "--wait", "--", "sh", "-c", "echo from-cli; exit 3");
        Assert.Equal(3, code);
        Assert.True(Guid.TryParse(output.Trim().Split('\n')[0], out var id), output);

        var (resultCode, result) = await _cluster.CliAsync("result", id.ToString());
        // A failed task is a failure for scripts too.
        Assert.Equal(1, resultCode);
        Assert.Contains("status:    failed", result);
        Assert.Matches(@"duration:  \d+\.\d\d? s\n", result);
        Assert.Contains("exit code: 3", result);
        Assert.Contains("from-cli", result);
        Assert.Contains("worker:", result);
    }

    [Fact]
    public async Task Submit_takes_shell_env_retry_timeout_and_batch()
    {
        var batch = $"cli-{Guid.NewGuid():N}";
        var (code, output) = await _cluster.CliAsync("submit", "--batch", batch, "--shell", "--env", "WHO=drover", "--retry", "1",
            "--timeout", "30s", "--wait", "--", "echo", "hello $WHO | tr a-z A-Z");
        Assert.Equal(0, code);
        using var client = _cluster.Client();
        var task = await client.GetTaskAsync(Guid.Parse(output.Trim()), Token);
        Assert.Equal("HELLO DROVER\n", task!.Stdout);
        Assert.Equal(batch, task.Batch);
        Assert.Equal(1, task.Retry);
        Assert.Equal(TimeSpan.FromSeconds(30), task.Timeout);
    }

    [Fact]
    public async Task Submit_file_creates_one_task_per_line_and_tasks_lists_them()
    {
        var batch = $"file-{Guid.NewGuid():N}";
        var file = Path.Combine(_cluster.DataDirectory, $"{batch}.jsonl");
        await File.WriteAllLinesAsync(file,
        [
            $$"""{"command": ["echo", "one"], "batch": "{{batch}}", "name": "first"}""",
            "",
            $$"""{"command": "exit 1", "shell": true, "batch": "{{batch}}", "name": "second"}""",
        ], Token);
        var (code, output) = await _cluster.CliAsync("submit", "--file", file);
        Assert.Equal(0, code);
        var ids = output.Trim().Split('\n').Select(Guid.Parse).ToList();
        Assert.Equal(2, ids.Count);

        var (waitCode, waited) = await _cluster.CliAsync(["wait", .. ids.Select(i => i.ToString())]);
        Assert.Equal(1, waitCode);
        Assert.Contains($"{ids[0]} succeeded", waited);
        Assert.Contains($"{ids[1]} failed (exit 1)", waited);

        var (_, table) = await _cluster.CliAsync("tasks", "--batch", batch, "--status", "failed");
        Assert.Contains("second", table);
        Assert.DoesNotContain("first", table);
        Assert.StartsWith("ID", table.TrimStart());
    }

    [Fact]
    public async Task A_bad_task_file_names_the_line()
    {
        var file = Path.Combine(_cluster.DataDirectory, $"{Guid.NewGuid():N}.jsonl");
        await File.WriteAllLinesAsync(file, ["""{"command": ["true"]}""", """{"command": ["true"], "colour": 1}"""], Token);
        var (code, output) = await _cluster.CliAsync("submit", "--file", file);
        Assert.Equal(2, code);
        Assert.Contains(".jsonl:2:", output);
    }

    [Fact]
    public async Task Workers_lists_the_active_workers()
    {
        var (code, output) = await _cluster.CliAsync("workers");
        Assert.Equal(0, code);
        Assert.True(output.Split('\n').Count(l => l.Contains(" running ", StringComparison.Ordinal)) >= 2, output);
    }

    [Fact]
    public async Task A_port_in_use_is_one_clear_line()
    {
        var data = Path.Combine(_cluster.DataDirectory, $"second-{Guid.NewGuid():N}");
        var (code, output) = await DroverProcess.RunAsync(["server", "--port", _cluster.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--data", data]);
        Assert.Equal(2, code);
        Assert.Contains("address already in use", output);
        Assert.DoesNotContain("   at ", output);
    }

    [Fact]
    public async Task Errors_are_one_clear_line()
    {
        var (code, output) = await _cluster.CliAsync("result", "not-an-id");
        Assert.Equal(2, code);
        Assert.Contains("is not a task id", output);
        (code, output) = await DroverProcess.RunAsync(["tasks", "--server", _cluster.Url.ToString(), "--token", "wrong"]);
        Assert.Equal(2, code);
        Assert.Contains("401", output);
        (code, output) = await _cluster.CliAsync("submit", "--retry", "-1", "--", "true");
        Assert.Equal(2, code);
        Assert.Contains("retry", output);
        // A parse error is a line in words and where the help is: no .NET type names, not the whole help.
        (code, output) = await _cluster.CliAsync("recruiter", "add", "b", "--maximum-workers", "many");
        Assert.Equal(2, code);
        Assert.Equal("drover: Cannot parse argument 'many' for option '--maximum-workers' as a whole number.\ndrover: see 'drover recruiter add --help'", output.Trim());
    }

    [Fact]
    public async Task Watch_with_the_server_down_or_a_wrong_token_is_one_line_and_a_documented_exit_code()
    {
        var down = $"http://127.0.0.1:{FreePort.Next()}/";
        var (code, output) = await DroverProcess.RunAsync(["watch", "--server", down, "--token", "x"]);
        Assert.Equal(3, code);
        Assert.StartsWith("drover: cannot reach the server", output.Trim());
        Assert.DoesNotContain("   at ", output);

        (code, output) = await DroverProcess.RunAsync(["watch", "--server", _cluster.Url.ToString(), "--token", "wrong"]);
        Assert.Equal(2, code);
        Assert.Contains("401", output);
        Assert.Contains("--token, $DROVER_TOKEN, or --data", output);
        Assert.DoesNotContain("   at ", output);
        (code, output) = await DroverProcess.RunAsync(["tasks", "--server", _cluster.Url.ToString(), "--token", "wrong"]);
        Assert.Contains("--token, $DROVER_TOKEN, or --data", output);
    }

    [Fact]
    public async Task Drover_status_is_on_every_tasks_path_and_prints_nothing()
    {
        using var client = _cluster.Client();
        // The worker runs from a build output, not an installed tool: its own drover is put on the task's PATH.
        var ended = await client.RunAsync(Specs.Shell("drover status 'from the path' --progress 0.3 && echo done"), Token);
        var task = (await client.GetTaskAsync(ended.Id, Token))!;
        Assert.True(task.Status == TaskState.Succeeded, task.Stderr);
        Assert.Equal("done\n", task.Stdout);
        Assert.Equal(("from the path", 0.3), (task.StatusMessage, task.Progress));
    }

    [Fact]
    public async Task Tasks_are_listed_newest_first_a_page_at_a_time_saying_how_many_more_match()
    {
        var batch = $"pages-{Guid.NewGuid():N}";
        using var client = _cluster.Client();
        var ids = new List<Guid>();
        for (var i = 0; i < 5; i++)
            ids.Add((await client.CreateTaskAsync(Specs.Command("echo", $"{i}") with { Batch = batch, Group = i % 2 == 0 ? "even" : "odd" }, Token)).Id);

        var (code, output) = await _cluster.CliAsync("tasks", "--batch", batch, "--limit", "2");
        Assert.Equal(0, code);
        Assert.Equal([ids[4], ids[3]], Rows(output));
        Assert.Contains($"… 3 more match: drover tasks --before {ids[3]}", output);
        (code, output) = await _cluster.CliAsync("tasks", "--batch", batch, "--limit", "2", "--before", ids[3].ToString());
        Assert.Equal([ids[2], ids[1]], Rows(output));
        Assert.Contains("… 1 more match", output);
        (code, output) = await _cluster.CliAsync("tasks", "--batch", batch, "--group", "even", "--sort", "id");
        Assert.Equal([ids[0], ids[2], ids[4]], Rows(output));
        Assert.DoesNotContain("more match", output);
        (code, output) = await _cluster.CliAsync("tasks", "--before", "nope");
        Assert.Equal(2, code);
        Assert.Contains("--before", output);

        static List<Guid> Rows(string table) =>
            [.. table.Split('\n').Select(l => l.Split(' ')[0]).Where(w => Guid.TryParse(w, out _)).Select(Guid.Parse)];
    }

    [Fact]
    public async Task Help_lists_only_what_means_something_for_the_command_with_each_default_once()
    {
        var (code, up) = await DroverProcess.RunAsync(["up", "--help"]);
        Assert.Equal(0, code);
        Assert.DoesNotContain("--server", up);
        Assert.DoesNotContain("--token", up);
        Assert.Contains("--data", up);
        var (_, tasks) = await DroverProcess.RunAsync(["tasks", "--help"]);
        Assert.Contains("--server", tasks);
        foreach (var line in up.Split('\n').Concat(tasks.Split('\n')))
            Assert.False(line.Contains("(default:", StringComparison.Ordinal) && line.Contains("[default:", StringComparison.Ordinal), line);
    }

    [Fact]
    public async Task Wait_gives_up_at_its_timeout_naming_the_tasks_still_going()
    {
        var (code, output) = await _cluster.CliAsync("submit", "--", "sleep", "30");
        Assert.Equal(0, code);
        var id = output.Trim();
        (code, output) = await _cluster.CliAsync("wait", "--timeout", "1s", id);
        Assert.Equal(4, code);
        Assert.Contains($"1 of 1 task(s) had not ended after 1s: {id}", output);
        (code, output) = await _cluster.CliAsync("wait", "--timeout", "soon", id);
        Assert.Equal(2, code);
        Assert.Contains("--timeout", output);
        await _cluster.CliAsync("cancel", id);
    }

    [Fact]
    public async Task Clients_find_a_server_started_with_port_0_through_its_data_directory()
    {
        var folder = Directory.CreateTempSubdirectory("drover-port0-").FullName;
        try
        {
            await using var up = DroverProcess.Start(["up", "--port", "0", "--workers", "1", "--store", "memory"], workingDirectory: folder);
            await up.WaitForLineAsync("registered as", TimeSpan.FromSeconds(30));
            // No --server, no $DROVER_URL: the URL comes from ./drover-data/server.json, the token from ./drover-data/admin.token.
            var (code, output) = await DroverProcess.RunAsync(["submit", "--wait", "--data", Path.Combine(folder, "drover-data"), "--", "echo", "found"]);
            Assert.True(code == 0, output);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task Workers_show_their_machine_stats()
    {
        using var client = _cluster.Client();
        // The worker processes (which say their pid), not workers other tests of the collection
        // register by hand over HTTP and that never heartbeat.
        async Task<List<Model.WorkerRecord>> ProcessesAsync() => [.. (await client.ListWorkersAsync(Token)).Where(w => w.Pid is not null)];
        for (var i = 0; i < 200 && (await ProcessesAsync()).Any(w => w.Stats is null); i++) await Task.Delay(100, Token);
        var workers = await ProcessesAsync();
        Assert.NotEmpty(workers);
        Assert.All(workers, w =>
        {
            Assert.Equal(Environment.ProcessorCount, w.Stats!.Cpus);
            Assert.True(w.Stats.MemoryTotalBytes > w.Stats.MemoryUsedBytes);
            Assert.True(w.Stats.DiskFreeBytes > 0);
            Assert.NotNull(w.Stats.Load1);
        });
        var (code, output) = await _cluster.CliAsync("workers");
        Assert.Equal(0, code);
        Assert.Contains("LOAD", output);
        Assert.Contains("GiB", output);
    }

    [Fact]
    public async Task Tracker_show_and_export_read_a_tracker_file_written_by_another_program()
    {
        var path = Path.Combine(_cluster.DataDirectory, $"crawl-{Guid.NewGuid():N}.pod");
        using (var pod = Drover.Tracker.PersistentDictionary.Open<int>(path))
        using (var tracker = Drover.Tracker.ProgressTracker.Open(path))
        {
            pod["https://a"] = 3;
            pod["https://b"] = 5;
            tracker.AddManyIfAbsent(["page-1", "page-2"]);
            tracker.MarkDone("page-1");
        }
        var (code, shown) = await _cluster.CliAsync("tracker", "show", path);
        Assert.Equal(0, code);
        Assert.Contains("dictionary: 2 entries", shown);
        Assert.Contains("https://b = 5", shown);
        Assert.Contains("progress: 2 keys, 1 done (50.0%), 1 remaining", shown);

        var (exported, json) = await _cluster.CliAsync("tracker", "export", path, "--json");
        Assert.Equal(0, exported);
        var document = System.Text.Json.JsonDocument.Parse(json).RootElement;
        Assert.Equal(3, document.GetProperty("entries").GetProperty("https://a").GetInt32());
        Assert.True(document.GetProperty("progress")[0].GetProperty("done").GetBoolean());

        var (missing, said) = await _cluster.CliAsync("tracker", "show", path + ".nope");
        Assert.Equal(2, missing);
        Assert.Contains("no such file", said);
    }
}
