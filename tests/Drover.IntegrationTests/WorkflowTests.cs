using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Drover.Contracts;
using Drover.IntegrationTests.Infrastructure;
using Drover.Model;

namespace Drover.IntegrationTests;

/// <summary>Dependencies and cancel, end to end.</summary>
[Collection("cluster")]
public sealed class WorkflowTests(SharedCluster shared)
{
    private readonly DroverCluster _cluster = shared.Cluster;
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task RunAsync_submits_and_waits_in_one_call_and_returns_the_ended_task()
    {
        using var client = _cluster.Client();
        var failed = await client.RunAsync(Specs.Command("sh", "-c", "exit 3"), Token);
        Assert.Equal((TaskState.Failed, 3), (failed.Status, failed.ExitCode));
        var echoed = await client.RunAsync(new TaskSpec { Handler = "echo", Args = JsonSerializer.SerializeToElement(42) }, Token);
        Assert.Equal(TaskState.Succeeded, echoed.Status);
    }

    [Fact]
    public async Task A_dag_of_fifty_one_tasks_runs_in_order_and_a_failing_node_cancels_its_subtree()
    {
        using var client = _cluster.Client();
        var root = Guid.CreateVersion7();
        var middles = Enumerable.Range(0, 10).Select(_ => Guid.CreateVersion7()).ToList();
        var failing = middles[3];
        // Each task checks that what it requires ran before it: the requirement left a mark.
        var marks = Directory.CreateTempSubdirectory("drover-dag-").FullName;
        try
        {
            TaskSpec Node(Guid id, Guid? requires, bool fail = false) => Specs.Shell(
                    (requires is { } r ? $"test -e {marks}/{r} && " : "") + (fail ? "exit 1" : $"touch {marks}/{id}"))
                with { Id = id.ToString(), Requires = requires is { } req ? [req.ToString()] : null, Batch = "dag" };
            var specs = new List<TaskSpec> { Node(root, null) };
            specs.AddRange(middles.Select(m => Node(m, root, fail: m == failing)));
            var leaves = middles.SelectMany(m => Enumerable.Range(0, 4).Select(_ => (Id: Guid.CreateVersion7(), Parent: m))).ToList();
            specs.AddRange(leaves.Select(l => Node(l.Id, l.Parent)));
            specs.Reverse(); // leaves first: the order within the request does not matter

            var created = await client.CreateTasksAsync(specs, Token);
            Assert.Equal(51, created.Count);
            var ended = (await client.WaitAllAsync([.. created.Select(t => t.Id)], Token)).ToDictionary(t => t.Id);

            Assert.Equal(TaskState.Succeeded, ended[root].Status);
            Assert.Equal(TaskState.Failed, ended[failing].Status);
            foreach (var (id, parent) in leaves)
            {
                if (parent == failing)
                {
                    Assert.Equal(TaskState.Canceled, ended[id].Status);
                    Assert.Equal($"requirement {failing} failed", ended[id].Reason);
                    Assert.Null(ended[id].Started);
                }
                else
                {
                    Assert.Equal(TaskState.Succeeded, ended[id].Status);
                    Assert.True(ended[id].Started >= ended[parent].Completed, "a task started before its requirement ended");
                }
            }
        }
        finally
        {
            Directory.Delete(marks, recursive: true);
        }
    }

    [Fact]
    public async Task Cycles_and_unknown_requirements_are_refused_naming_the_task_and_the_id()
    {
        var a = Guid.CreateVersion7();
        var b = Guid.CreateVersion7();
        var unknown = Guid.CreateVersion7();
        var batch = $"cycle-{Guid.NewGuid():N}";
        using var http = _cluster.Http(_cluster.AdminToken);
        var body = $$"""
            [{"id": "{{a}}", "command": ["true"], "batch": "{{batch}}", "requires": ["{{b}}"]},
             {"id": "{{b}}", "command": ["true"], "batch": "{{batch}}", "requires": ["{{a}}"]},
             {"command": ["true"], "batch": "{{batch}}", "requires": ["{{unknown}}"]},
             {"command": ["true"], "batch": "{{batch}}", "requires": ["nope"]}]
            """;
        var response = await http.PostAsync("api/tasks", new StringContent(body, Encoding.UTF8, "application/json"), Token);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = (await response.Content.ReadFromJsonAsync<JsonElement>(Token)).GetProperty("errors");
        Assert.Contains("'nope' is not a task id", errors.GetProperty("[3].requires")[0].GetString());
        using var client = _cluster.Client();
        Assert.Empty(await client.ListTasksAsync(new Storage.TaskListFilter { Batch = batch }, Token));

        // Without the malformed one: the cycle and the unknown id, each named.
        body = $$"""
            [{"id": "{{a}}", "command": ["true"], "batch": "{{batch}}", "requires": ["{{b}}"]},
             {"id": "{{b}}", "command": ["true"], "batch": "{{batch}}", "requires": ["{{a}}"]},
             {"command": ["true"], "batch": "{{batch}}", "requires": ["{{unknown}}"]}]
            """;
        response = await http.PostAsync("api/tasks", new StringContent(body, Encoding.UTF8, "application/json"), Token);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        errors = (await response.Content.ReadFromJsonAsync<JsonElement>(Token)).GetProperty("errors");
        Assert.Contains("cycle", errors.GetProperty("[0].requires")[0].GetString());
        Assert.Contains(a.ToString(), errors.GetProperty("[0].requires")[0].GetString());
        Assert.Contains($"{unknown} is not a task", errors.GetProperty("[2].requires")[0].GetString());
        Assert.Empty(await client.ListTasksAsync(new Storage.TaskListFilter { Batch = batch }, Token));
    }

    [Fact]
    public async Task The_cli_wires_requirements_and_cancels_a_running_task_and_its_dependants()
    {
        var (code, output) = await _cluster.CliAsync("submit", "--name", "long", "--", "sleep", "30");
        Assert.Equal(0, code);
        var first = output.Trim();
        (code, output) = await _cluster.CliAsync("submit", "--requires", first, "--", "true");
        Assert.Equal(0, code);
        var second = Guid.Parse(output.Trim());
        using var client = _cluster.Client();
        Assert.Equal(TaskState.Pending, (await client.GetTaskAsync(second, Token))!.Status);

        // Wait until it runs, then cancel it: the worker stops the process, the dependant is canceled.
        for (var i = 0; i < 300 && (await client.GetTaskAsync(Guid.Parse(first), Token))!.Status != TaskState.Running; i++) await Task.Delay(100, Token);
        (code, output) = await _cluster.CliAsync("cancel", first);
        Assert.Equal(0, code);
        Assert.Contains("canceled", output);
        var ended = await client.WaitAllAsync([Guid.Parse(first), second], Token);
        Assert.All(ended, t => Assert.Equal(TaskState.Canceled, t.Status));
        (code, output) = await _cluster.CliAsync("cancel", first);
        Assert.Equal(2, code);
        Assert.Contains("already ended", output);
    }

    [Fact]
    public async Task Wait_with_retry_resubmits_failed_tasks_and_waits_for_the_new_attempts()
    {
        using var client = _cluster.Client();
        var marks = Directory.CreateTempSubdirectory("drover-join-").FullName;
        try
        {
            // Fails the first time, succeeds the second; and one that always fails.
            var flaky = await client.CreateTaskAsync(Specs.Shell($"test -e {marks}/ran && exit 0; touch {marks}/ran; exit 1"), Token);
            var broken = await client.CreateTaskAsync(Specs.Shell("exit 3"), Token);

            var ended = await client.WaitAllAsync([flaky.Id, broken.Id], Token, retry: 1);
            Assert.Equal(2, ended.Count);
            var flakyLast = ended.Single(t => t.Status == TaskState.Succeeded);
            Assert.Equal(flaky.Id, flakyLast.ResubmittedFrom);
            var brokenLast = ended.Single(t => t.Status == TaskState.Failed);
            Assert.Equal(broken.Id, brokenLast.ResubmittedFrom);
            Assert.Null((await client.GetTaskAsync(brokenLast.Id, Token))!.Resubmitted); // one retry, not more

            // Asked again, the same ids are followed to their latest attempts: nothing is resubmitted twice.
            var again = await client.WaitAsync([flaky.Id, broken.Id], TimeSpan.FromSeconds(5), Token, retry: 1);
            Assert.Equal(new[] { flakyLast.Id, brokenLast.Id }.Order(), again.Done.Select(t => t.Id).Order());
            var (code, output) = await _cluster.CliAsync("wait", "--retry", "1", broken.Id.ToString());
            Assert.Equal(1, code);
            Assert.Contains($"resubmitted from {broken.Id}", output);
        }
        finally
        {
            Directory.Delete(marks, recursive: true);
        }
    }
}
