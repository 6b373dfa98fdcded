using System.Text.Json;
using Drover.Client;
using Drover.Contracts;
using Drover.IntegrationTests.Infrastructure;
using Drover.Model;

namespace Drover.IntegrationTests;

/// <summary>
/// Container tasks on a real podman (runc, a busybox image imported from Debian's busybox-static):
/// the run's folders mounted, signals mapped to the engine, nothing left running or stored after a
/// run, and only workers with an engine leased such tasks.
/// </summary>
public sealed class ContainerTaskTests : IAsyncLifetime
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    /// <summary>How long a task told to end may take: a wait that would hang fails instead (and the cluster is disposed).</summary>
    private static readonly TimeSpan Ending = TimeSpan.FromSeconds(120);
    private readonly string _root = Directory.CreateTempSubdirectory("drover-containers-").FullName;
    private DroverCluster _cluster = null!;

    public async ValueTask InitializeAsync()
    {
        // 15 s, not 5: a container task paused on a busy machine (four test classes at once) lost its
        // lease between two late heartbeats and ran again, unpaused and never killed.
        _cluster = new DroverCluster(leaseTimeout: "15s");
        foreach (var (key, value) in await Podman.EnvironmentAsync()) _cluster.Environment[key] = value;
        await _cluster.StartServerAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await _cluster.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }

    private string PathOf(string name) => Path.Combine(_root, name);

    private Task StartContainerWorkerAsync(int concurrency = 2) => _cluster.StartWorkerAsync(concurrency, "--container-engine", "podman");

    private static TaskSpec InContainer(string script, string image = Podman.Image) => Specs.Shell(script) with { Container = image };

    private static async Task<TaskRecord> RunningAsync(DroverClient client, Guid id)
    {
        for (var i = 0; i < 600; i++)
        {
            var task = (await client.GetTaskAsync(id, Token))!;
            if (task.Status == TaskState.Running && task.Transfer?.Phase == ExecutionPhase.Running) return task;
            Assert.False(TaskStateRules.IsEnded(task.Status), $"task {id} ended {task.Status}: {task.Reason} {task.Stderr}");
            await Task.Delay(50, Token);
        }
        throw new TimeoutException($"task {id} never ran");
    }

    private static async Task<Guid> ExecutionOfAsync(DroverClient client, Guid id) => Assert.Single(await client.ListExecutionsAsync(id, Token)).Id;

    [Fact]
    public async Task A_container_task_runs_in_its_image_with_input_output_tmp_and_a_read_only_resource_mounted()
    {
        File.WriteAllText(PathOf("sample.txt"), "acgt\n");
        File.WriteAllText(PathOf("reference.txt"), "the reference\n");
        Directory.CreateDirectory(PathOf("results"));
        await StartContainerWorkerAsync();
        using var client = _cluster.Client();

        var spec = InContainer(
            "tr a-z A-Z < $INPUT/sample.txt > $OUTPUT/sample.upper && cat /resource/reference.txt && echo $INPUT $OUTPUT $TMP $RESOURCE && " +
            "touch /tmp/scratch && (touch /resource/x 2>/dev/null && echo resource-writable || echo resource-read-only) && " +
            "test ! -e /bin/bash && echo in-busybox && echo task=$DROVER_TASK_ID colour=$COLOUR") with
        {
            Input = JsonSerializer.SerializeToElement($"file://{PathOf("sample.txt")}"),
            Resource = JsonSerializer.SerializeToElement($"file://{PathOf("reference.txt")}"),
            Output = $"file://{PathOf("results")}/",
            Env = new Dictionary<string, string> { ["COLOUR"] = "blue green" },
        };
        var task = (await client.CreateTasksAsync([spec], Token))[0];
        var ended = (await EndedAsync(client, task.Id))[0];

        Assert.True(ended.Status == TaskState.Succeeded, $"{ended.Status}: {ended.Reason} {ended.Stderr}");
        Assert.Equal("ACGT", File.ReadAllText(PathOf("results/sample.upper")).Trim());
        Assert.Equal(
            $"the reference\n/input /output /tmp /resource\nresource-read-only\nin-busybox\ntask={task.Id} colour=blue green\n",
            (await client.GetTaskAsync(task.Id, Token))!.Stdout);
        Assert.Equal("", await Podman.ContainersOfAsync(await ExecutionOfAsync(client, task.Id)));
    }

    [Fact]
    public async Task Pause_and_resume_freeze_and_thaw_the_container_and_kill_ends_it_canceled_with_nothing_left()
    {
        await StartContainerWorkerAsync();
        using var client = _cluster.Client();
        var task = (await client.CreateTasksAsync([InContainer("i=0; while true; do i=$((i+1)); echo $i; sleep 0.1; done")], Token))[0];
        await RunningAsync(client, task.Id);
        var execution = await ExecutionOfAsync(client, task.Id);
        // Running is reported as `podman run` starts; the container exists a moment later.
        await Eventually.ValueAsync(() => Podman.ContainersOfAsync(execution), names => names.Contains(execution.ToString("N"), StringComparison.Ordinal),
            TimeSpan.FromSeconds(30), "the task's container exists");
        await LinesSoonAsync(client, task.Id, atLeast: 3);

        Assert.Equal(TaskState.Paused, (await client.SignalTaskAsync(task.Id, TaskSignal.Pause, Token)).Status);
        // Frozen: once the last output before the pause arrived, the count stands still.
        var frozen = await SteadyLinesAsync(client, task.Id);
        Assert.Contains("Paused", await Podman.ContainersOfAsync(execution), StringComparison.OrdinalIgnoreCase);
        await Task.Delay(TimeSpan.FromSeconds(2), Token);
        Assert.Equal(frozen, await LinesAsync(client, task.Id));

        await client.SignalTaskAsync(task.Id, TaskSignal.Resume, Token);
        await LinesSoonAsync(client, task.Id, atLeast: frozen + 5);

        await client.SignalTaskAsync(task.Id, TaskSignal.Kill, Token);
        var ended = (await EndedAsync(client, task.Id))[0];
        Assert.Equal((TaskState.Canceled, "terminated by request (kill)"), (ended.Status, ended.Reason));
        Assert.Equal("", await Podman.ContainersOfAsync(execution));
    }

    [Fact]
    public async Task Term_stops_the_container_and_a_timeout_or_a_cancel_removes_it()
    {
        await StartContainerWorkerAsync(concurrency: 3);
        using var client = _cluster.Client();
        var termed = (await client.CreateTasksAsync([InContainer("trap 'echo bye; exit 143' TERM; sleep 120 & wait")], Token))[0];
        var timedOut = (await client.CreateTasksAsync([InContainer("sleep 120").WithTimeout("2s")], Token))[0];
        var canceled = (await client.CreateTasksAsync([InContainer("sleep 120")], Token))[0];
        await RunningAsync(client, termed.Id);
        await RunningAsync(client, canceled.Id);
        await client.SignalTaskAsync(termed.Id, TaskSignal.Term, Token);
        await client.CancelTaskAsync(canceled.Id, Token);

        var ended = (await EndedAsync(client, termed.Id, timedOut.Id, canceled.Id)).ToDictionary(t => t.Id);
        Assert.Equal(TaskState.Canceled, ended[termed.Id].Status);
        Assert.Equal("bye\n", (await client.GetTaskAsync(termed.Id, Token))!.Stdout);
        Assert.Equal((TaskState.Failed, "timed out after 2s"), (ended[timedOut.Id].Status, ended[timedOut.Id].Reason));
        Assert.Equal(TaskState.Canceled, ended[canceled.Id].Status);
        foreach (var id in new[] { termed.Id, timedOut.Id, canceled.Id })
        {
            var execution = await ExecutionOfAsync(client, id);
            // The cancel's kill reaches the worker with its next lease poll; the container goes with it. Under a
            // loaded CI machine each podman command may take seconds: a container left over for good still fails.
            for (var i = 0; i < 300 && await Podman.ContainersOfAsync(execution) != ""; i++) await Task.Delay(100, Token);
            Assert.Equal("", await Podman.ContainersOfAsync(execution));
        }
    }

    [Fact]
    public async Task A_signal_sent_before_the_engine_made_the_container_reaches_it_once_it_runs()
    {
        // An engine slow to create its containers (a pull, a busy machine): `podman run` has started, so
        // the task is running, but for two seconds there is no container that a pause or a stop could find.
        var slow = PathOf("slow-podman");
        File.WriteAllText(slow, "#!/bin/sh\n[ \"$1\" = run ] && sleep 2\nexec podman \"$@\"\n");
        File.SetUnixFileMode(slow, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        await _cluster.StartWorkerAsync(2, "--container-engine", slow);
        using var client = _cluster.Client();
        var termed = (await client.CreateTasksAsync([InContainer("trap 'echo bye; exit 143' TERM; sleep 120 & wait")], Token))[0];
        var paused = (await client.CreateTasksAsync([InContainer("i=0; while true; do i=$((i+1)); echo $i; sleep 0.1; done")], Token))[0];
        await RunningAsync(client, termed.Id);
        await client.SignalTaskAsync(termed.Id, TaskSignal.Term, Token);
        await RunningAsync(client, paused.Id);
        Assert.Equal(TaskState.Paused, (await client.SignalTaskAsync(paused.Id, TaskSignal.Pause, Token)).Status);

        var ended = (await EndedAsync(client, termed.Id))[0];
        Assert.Equal(TaskState.Canceled, ended.Status);
        Assert.Equal("bye\n", (await client.GetTaskAsync(termed.Id, Token))!.Stdout);
        // The pause reached the container once it was up (it may print a few lines first): frozen, its count stands still.
        var execution = await ExecutionOfAsync(client, paused.Id);
        await Eventually.ValueAsync(() => Podman.ContainersOfAsync(execution), names => names.Contains("Paused", StringComparison.OrdinalIgnoreCase),
            TimeSpan.FromSeconds(30), "the paused task's container is paused");
        var frozen = await SteadyLinesAsync(client, paused.Id);
        await Task.Delay(TimeSpan.FromSeconds(2), Token);
        Assert.Equal(frozen, await LinesAsync(client, paused.Id));
        await client.SignalTaskAsync(paused.Id, TaskSignal.Kill, Token);
        Assert.Equal(TaskState.Canceled, (await EndedAsync(client, paused.Id))[0].Status);
        Assert.Equal("", await Podman.ContainersOfAsync(execution));
    }

    [Fact]
    public async Task A_container_task_waits_for_a_worker_with_an_engine_and_a_missing_image_fails_with_the_engines_reason()
    {
        await _cluster.StartWorkerAsync(concurrency: 2);
        using var client = _cluster.Client();
        var boxed = (await client.CreateTasksAsync([InContainer("echo boxed")], Token))[0];
        var plain = (await client.CreateTasksAsync([Specs.Command("echo", "plain")], Token))[0];
        await EndedAsync(client, plain.Id);
        Assert.Equal(TaskState.Queued, (await client.GetTaskAsync(boxed.Id, Token))!.Status);

        // A container that a worker killed -9 left behind (its name holds the dead worker's pid) goes when the next starts.
        using (var gone = System.Diagnostics.Process.Start("true")!)
        {
            await gone.WaitForExitAsync(Token);
            var leftover = $"drover-{gone.Id}-{Guid.NewGuid():N}";
            Assert.Equal(0, (await Podman.RunAsync("create", "--name", leftover, Podman.Image, "sleep", "60")).ExitCode);
            await StartContainerWorkerAsync();
            Assert.Equal("", (await Podman.RunAsync("ps", "-a", "--filter", $"name={leftover}", "--format", "{{.Names}}")).Output.Trim());
        }
        var ended = (await EndedAsync(client, boxed.Id))[0];
        Assert.Equal(TaskState.Succeeded, ended.Status);
        Assert.Equal("boxed\n", (await client.GetTaskAsync(boxed.Id, Token))!.Stdout);

        var missing = (await client.CreateTasksAsync([InContainer("true", image: "localhost/drover-test:no-such-tag")], Token))[0];
        var failed = (await EndedAsync(client, missing.Id))[0];
        Assert.Equal(TaskState.Failed, failed.Status);
        Assert.StartsWith("podman could not run localhost/drover-test:no-such-tag: ", failed.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Drover_submit_runs_a_container_task()
    {
        await StartContainerWorkerAsync();
        var (code, output) = await _cluster.CliAsync("submit", "--wait", "--container", Podman.Image, "--container-options", "--network none", "--", "sh", "-c", "echo from the box");
        Assert.True(code == 0, output);
        using var client = _cluster.Client();
        var listed = Assert.Single(await client.ListTasksAsync(new Storage.TaskListFilter(), Token));
        var task = (await client.GetTaskAsync(listed.Id, Token))!;
        // State and byte count too: an empty stdout once (a CI run under load) could not tell a podman
        // that wrote nothing from a pipe that stayed open past the worker's wait for it.
        Assert.Equal(("from the box\n", 13L, TaskState.Succeeded, 0, Podman.Image),
            (task.Stdout, task.StdoutBytes, task.Status, task.ExitCode, task.Container));
    }

    /// <summary>The tasks' records once they have ended, within <see cref="Ending"/>.</summary>
    private static Task<IReadOnlyList<TaskRecord>> EndedAsync(DroverClient client, params Guid[] ids) =>
        client.WaitAllAsync(ids, Token).WaitAsync(Ending, Token);

    private static async Task<int> LinesAsync(DroverClient client, Guid id) =>
        ((await client.GetTaskAsync(id, Token))!.Stdout ?? "").Count(c => c == '\n');

    private static async Task LinesSoonAsync(DroverClient client, Guid id, int atLeast)
    {
        for (var i = 0; i < 300 && await LinesAsync(client, id) < atLeast; i++) await Task.Delay(100, Token);
        Assert.True(await LinesAsync(client, id) >= atLeast, $"the task printed fewer than {atLeast} lines");
    }

    /// <summary>The line count once two reads a few output flushes apart agree.</summary>
    private static async Task<int> SteadyLinesAsync(DroverClient client, Guid id)
    {
        var last = await LinesAsync(client, id);
        for (var i = 0; i < 20; i++)
        {
            await Task.Delay(TimeSpan.FromSeconds(1.5), Token);
            var now = await LinesAsync(client, id);
            if (now == last) return now;
            last = now;
        }
        throw new TimeoutException("the paused container kept printing");
    }
}
