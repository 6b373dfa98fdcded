using System.Text.Json;
using Drover.Contracts;
using Drover.IntegrationTests.Infrastructure;
using Drover.Model;

namespace Drover.IntegrationTests;

/// <summary>Real commands on real worker processes, through a real server.</summary>
[Collection("cluster")]
public sealed class RunningTasksTests(SharedCluster shared)
{
    private readonly DroverCluster _cluster = shared.Cluster;
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private async Task<TaskRecord> RunAsync(TaskSpec spec)
    {
        using var client = _cluster.Client();
        var created = await client.CreateTaskAsync(spec, Token);
        await client.WaitAllAsync([created.Id], Token);
        return (await client.GetTaskAsync(created.Id, Token))!;
    }

    [Fact]
    public async Task Echo_succeeds_and_keeps_its_output()
    {
        var task = await RunAsync(Specs.Command("echo", "hello", "world"));
        Assert.Equal(TaskState.Succeeded, task.Status);
        Assert.Equal(0, task.ExitCode);
        Assert.Equal("hello world\n", task.Stdout);
        Assert.Equal(12, task.StdoutBytes);
        Assert.NotNull(task.WorkerId);
        Assert.NotNull(task.Started);
        Assert.True(task.Completed >= task.Started);
    }

    [Fact]
    public async Task A_failing_command_fails_with_its_exit_code_and_stderr()
    {
        var task = await RunAsync(Specs.Shell("echo oops >&2; exit 3"));
        Assert.Equal(TaskState.Failed, task.Status);
        Assert.Equal(3, task.ExitCode);
        Assert.Equal("oops\n", task.Stderr);
    }

    [Fact]
    public async Task A_timeout_kills_the_whole_process_tree()
    {
        var pidFile = Path.Combine(_cluster.DataDirectory, $"{Guid.NewGuid()}.pid");
        var task = await RunAsync(Specs.Shell($"sleep 300 & echo $! > {pidFile}; wait").WithTimeout("1s"));

        Assert.Equal(TaskState.Failed, task.Status);
        Assert.Equal("timed out after 1s", task.Reason);
        Assert.True(task.Completed - task.Started < TimeSpan.FromSeconds(60));
        using var client = _cluster.Client();
        var execution = Assert.Single(await client.ListExecutionsAsync(task.Id, Token));
        Assert.True(execution.TimedOut);
        // The background sleep was in the task's process group, so it died with it.
        var pid = File.ReadAllText(pidFile).Trim();
        Assert.False(Directory.Exists($"/proc/{pid}") && !File.ReadAllText($"/proc/{pid}/stat").Contains(") Z ", StringComparison.Ordinal),
            $"process {pid} outlived the task");
    }

    [Fact]
    public async Task Large_output_keeps_the_last_MiB_and_counts_every_byte()
    {
        var task = await RunAsync(Specs.Shell("head -c 5242880 /dev/zero | tr '\\0' x; echo -n END"));
        Assert.Equal(TaskState.Succeeded, task.Status);
        Assert.Equal(5 * 1024 * 1024 + 3, task.StdoutBytes);
        Assert.Equal(1024 * 1024, task.Stdout!.Length);
        Assert.EndsWith("xxxEND", task.Stdout);
    }

    [Fact]
    public async Task Output_of_a_running_task_streams_to_the_server_before_it_ends()
    {
        using var client = _cluster.Client();
        var task = await client.CreateTaskAsync(Specs.Shell("echo first; sleep 4; echo second"), Token);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        TaskRecord? seen;
        do
        {
            await Task.Delay(100, Token);
            seen = await client.GetTaskAsync(task.Id, Token);
        }
        while (seen!.Stdout is null && DateTime.UtcNow < deadline);
        Assert.Equal(TaskState.Running, seen.Status);
        Assert.Equal("first\n", seen.Stdout);

        await client.WaitAllAsync([task.Id], Token);
        Assert.Equal("first\nsecond\n", (await client.GetTaskAsync(task.Id, Token))!.Stdout);
    }

    [Fact]
    public async Task A_failure_is_retried_and_every_attempt_is_an_execution()
    {
        var task = await RunAsync(Specs.Shell("exit 7") with { Retry = 2 });
        Assert.Equal(TaskState.Failed, task.Status);
        Assert.Equal(3, task.Attempts);
        Assert.Equal(7, task.ExitCode);
        using var client = _cluster.Client();
        var executions = await client.ListExecutionsAsync(task.Id, Token);
        Assert.Equal([1, 2, 3], executions.Select(e => e.Attempt));
        Assert.All(executions, e => Assert.Equal(ExecutionState.Failed, e.Status));
        Assert.All(executions, e => Assert.Equal(7, e.ExitCode));
    }

    [Fact]
    public async Task A_retry_can_succeed()
    {
        var counter = Path.Combine(_cluster.DataDirectory, $"{Guid.NewGuid()}.count");
        var task = await RunAsync(Specs.Shell($"n=$(cat {counter} 2>/dev/null || echo 0); echo $((n+1)) > {counter}; [ $n -ge 1 ]") with { Retry = 3 });
        Assert.Equal(TaskState.Succeeded, task.Status);
        Assert.Equal(2, task.Attempts);
        Assert.Equal("2", File.ReadAllText(counter).Trim());
    }

    [Fact]
    public async Task Environment_and_a_private_working_directory_are_given_and_cleaned_up()
    {
        var task = await RunAsync(Specs.Shell("echo $GREETING; echo $DROVER_TASK_ID; pwd") with
        {
            Env = new Dictionary<string, string> { ["GREETING"] = "bonjour" },
        });
        var lines = task.Stdout!.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("bonjour", lines[0]);
        Assert.Equal(task.Id.ToString(), lines[1]);
        Assert.Contains(task.ExecutionId?.ToString() ?? (await ExecutionIdAsync(task.Id)), lines[2]);
        Assert.False(Directory.Exists(lines[2]), "the working directory should be removed after the run");
    }

    private async Task<string> ExecutionIdAsync(Guid taskId)
    {
        using var client = _cluster.Client();
        return (await client.ListExecutionsAsync(taskId, Token))[^1].Id.ToString();
    }

    [Fact]
    public async Task A_string_command_is_split_into_words_without_a_shell()
    {
        var task = await RunAsync(new TaskSpec { Command = JsonSerializer.SerializeToElement("printf '%s|' 'a b' c") });
        Assert.Equal("a b|c|", task.Stdout);
    }

    [Fact]
    public async Task A_missing_program_fails_clearly()
    {
        var task = await RunAsync(Specs.Command("no-such-program-xyz"));
        Assert.Equal(TaskState.Failed, task.Status);
        Assert.Equal(127, task.ExitCode);
        Assert.Contains("command not found: no-such-program-xyz", task.Error);
    }

    [Fact]
    public async Task The_echo_handler_returns_its_args()
    {
        var task = await RunAsync(new TaskSpec { Handler = "echo", Args = JsonDocument.Parse("""{"x": [1, 2]}""").RootElement });
        Assert.Equal(TaskState.Succeeded, task.Status);
        Assert.Equal("""{"x":[1,2]}""", JsonSerializer.Serialize(task.Result));
    }

    [Fact]
    public async Task Many_tasks_in_one_request_all_run()
    {
        using var client = _cluster.Client();
        var batch = $"many-{Guid.NewGuid():N}";
        var created = await client.CreateTasksAsync(Enumerable.Range(0, 50).Select(i => Specs.Command("echo", $"{i}") with { Batch = batch }).ToList(), Token);
        Assert.Equal(50, created.Count);
        var ended = await client.WaitAllAsync(created.Select(t => t.Id).ToList(), Token);
        Assert.All(ended, t => Assert.Equal(TaskState.Succeeded, t.Status));
        var listed = await client.ListTasksAsync(new Storage.TaskListFilter { Batch = batch, Limit = 1000 }, Token);
        Assert.Equal(created.Select(t => t.Id), listed.Select(t => t.Id));
    }

    [Fact]
    public async Task Wait_answers_when_the_tasks_end_or_at_its_timeout()
    {
        using var client = _cluster.Client();
        var slow = await client.CreateTaskAsync(Specs.Command("sleep", "3"), Token);
        var quick = await client.CreateTaskAsync(Specs.Command("true"), Token);
        var early = await client.WaitAsync([slow.Id], TimeSpan.FromMilliseconds(200), Token);
        Assert.Equal([slow.Id], early.Pending);
        Assert.Empty(early.Done);

        var answer = await client.WaitAsync([slow.Id, quick.Id], TimeSpan.FromSeconds(60), Token);
        Assert.Empty(answer.Pending);
        Assert.Equal(2, answer.Done.Count);
        Assert.All(answer.Done, t => Assert.Equal(TaskState.Succeeded, t.Status));
    }

    [Fact]
    public async Task Waits_sharing_a_task_each_get_its_end_even_when_one_names_an_unknown_task()
    {
        using var client = _cluster.Client();
        var task = await client.CreateTaskAsync(Specs.Command("sleep", "1"), Token);
        var waits = Enumerable.Range(0, 3).Select(_ => client.WaitAsync([task.Id], TimeSpan.FromSeconds(60), Token)).ToList();
        // A wait that also names an unknown task is refused, and must not end the others' waits early.
        var refused = await Assert.ThrowsAsync<Client.DroverApiException>(() => client.WaitAsync([task.Id, Guid.CreateVersion7()], TimeSpan.FromSeconds(60), Token));
        Assert.Equal(System.Net.HttpStatusCode.NotFound, refused.Status);

        foreach (var answer in await Task.WhenAll(waits))
        {
            Assert.Empty(answer.Pending);
            var done = Assert.Single(answer.Done);
            Assert.Equal(TaskState.Succeeded, done.Status);
            Assert.NotNull(done.Completed);
            Assert.Null(done.Stdout); // waits answer without the large fields, as lists do
        }
    }

    [Fact]
    public async Task A_task_with_a_chosen_id_is_created_once()
    {
        using var client = _cluster.Client();
        var id = Guid.CreateVersion7();
        var first = await client.CreateTaskAsync(Specs.Command("echo", "once") with { Id = id.ToString() }, Token);
        var second = await client.CreateTaskAsync(Specs.Command("echo", "twice") with { Id = id.ToString() }, Token);
        Assert.Equal(id, first.Id);
        Assert.Equal(["echo", "once"], second.Command);
        await client.WaitAllAsync([id], Token);
        Assert.Single(await client.ListExecutionsAsync(id, Token));
    }

    [Fact]
    public async Task Ended_tasks_can_be_deleted_and_live_ones_cannot()
    {
        using var client = _cluster.Client();
        var live = await client.CreateTaskAsync(Specs.Command("sleep", "2"), Token);
        var error = await Assert.ThrowsAsync<Client.DroverApiException>(() => client.DeleteTaskAsync(live.Id, Token));
        Assert.Equal(System.Net.HttpStatusCode.Conflict, error.Status);
        await client.WaitAllAsync([live.Id], Token);
        await client.DeleteTaskAsync(live.Id, Token);
        Assert.Null(await client.GetTaskAsync(live.Id, Token));
    }

    [Fact]
    public async Task Workers_are_listed_as_running()
    {
        using var client = _cluster.Client();
        var workers = await client.ListWorkersAsync(Token);
        // The cluster's two worker processes; other tests may register workers of their own by hand.
        Assert.True(workers.Count(w => w.Status == WorkerState.Running && w.Concurrency == 4 && w.Pid is not null) >= 2, string.Join("; ", workers));
    }
}
