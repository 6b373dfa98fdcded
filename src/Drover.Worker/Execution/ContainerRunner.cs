using System.Diagnostics;
using System.Text;
using Drover.Contracts;
using Drover.Model;

namespace Drover.Worker.Execution;

/// <summary>
/// Runs a container task: the command inside the task's image, through the worker's engine, with the
/// run's folders mounted at <c>/input /output /tmp</c> and <c>/resource</c> (read-only). The
/// container is the engine's to signal (pause, unpause, stop, kill), is removed by <c>--rm</c> when
/// it ends and by <c>rm -f</c> after a timeout or a stop, so nothing is left running or stored.
/// </summary>
public sealed class ContainerRunner(ContainerEngine engine, WorkerOptions options, Uri server) : ITaskRunner
{
    /// <summary>The folders as a command inside the container sees them.</summary>
    private static readonly (string Name, string Path)[] Mounted =
        [("INPUT", "/input"), ("OUTPUT", "/output"), ("TMP", "/tmp"), ("TMPDIR", "/tmp"), ("RESOURCE", "/resource")];

    public bool CanRun(LeasedTask lease) => lease.Container is not null;

    public async Task<ReportEvent> RunAsync(RunningTask task)
    {
        var lease = task.Lease;
        // A container task always has data (its folders), so the staged runner gave it one.
        var folder = task.Folder ?? throw new InvalidOperationException("a container task runs in a staged folder");
        var name = ContainerEngine.ContainerName(lease.ExecutionId);
        var args = new List<string>
        {
            "run", "--rm", "--name", name, "--env-file", WriteEnvironment(folder, TaskEnvironment.For(lease, server, Mounted)),
            "-v", $"{folder.Input}:/input", "-v", $"{folder.Output}:/output", "-v", $"{folder.Tmp}:/tmp", "-v", $"{folder.Resource}:/resource:ro",
        };
        args.AddRange(lease.ContainerOptions ?? []);
        args.Add(lease.Container!);
        if (lease.Command is { Count: > 0 }) args.AddRange(ProcessRunner.CommandLine(lease));

        var start = ProcessRunner.GuardedStart(engine.Program, engine.GlobalArgs.Concat(args), folder.Root);
        // Signals go to the engine once it runs; a pause before that holds the start (see RunningTask.HeldAsync).
        var finished = await ChildProcess.RunAsync(task, start, engine.Name, run =>
        {
            var control = new ContainerControl(engine, name, options.StopGrace, run);
            task.Signaller = control.Apply;
            return control;
        }, options.StopGrace);
        task.Signaller = null;
        // 125: the engine could not run the container at all (no such image, a bad option): say what it said.
        return finished.ExitCode == 125 && finished.Error is null
            ? finished with { Error = $"{engine.Name} could not run {lease.Container}: {LastLine(finished.Stderr)}" }
            : finished;
    }

    /// <summary>
    /// The task's variables go in a file only the worker reads, not on the engine's command line
    /// (where any user of the machine sees them) nor in the engine's own environment (where a
    /// task's PATH or HOME would change how the engine runs). One value per line: a value with a
    /// line break cannot be passed and is refused.
    /// </summary>
    private static string WriteEnvironment(RunFolder folder, Dictionary<string, string> variables)
    {
        var text = new StringBuilder();
        foreach (var (key, value) in variables)
        {
            if (value.Contains('\n', StringComparison.Ordinal) || key.Contains('=', StringComparison.Ordinal))
                throw new InvalidOperationException($"env {key}: a container task's variable cannot hold a line break");
            text.Append(key).Append('=').Append(value).Append('\n');
        }
        var path = Path.Combine(folder.Root, "container.env");
        File.WriteAllText(path, string.Empty);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.AppendAllText(path, text.ToString());
        return path;
    }

    private static string LastLine(string? text) =>
        text?.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault() ?? "no reason given";

    /// <summary>
    /// A running container, signalled through its engine, one command at a time and in order, the
    /// first once the container is up (<paramref name="run"/> is the engine's <c>run</c>).
    /// </summary>
    private sealed class ContainerControl(ContainerEngine engine, string name, TimeSpan grace, Process run) : IProcessControl
    {
        /// <summary>How often a signal that came early asks whether the container is up yet.</summary>
        private static readonly TimeSpan UpCheck = TimeSpan.FromMilliseconds(100);

        private readonly Lock _lock = new();
        private Task? _last;

        public void Apply(TaskSignal signal) => Enqueue(signal switch
        {
            TaskSignal.Pause => ["pause", name],
            TaskSignal.Resume => ["unpause", name],
            TaskSignal.Term => null,
            _ => ["kill", name],
        });

        public Task TerminateAsync() => Enqueue(null);

        public Task KillAsync() => Enqueue(["rm", "-f", name]);

        public Task CleanUpAsync() => KillAsync();

        // Pause then resume must reach the engine in that order; each waits for the one before.
        // Null is a stop, which the engine refuses for a paused container: it is unpaused first.
        private Task Enqueue(string[]? args)
        {
            lock (_lock)
            {
                return _last = (_last ?? UpAsync()).ContinueWith(_ => args is null ? StopAsync() : engine.RunAsync(args), TaskScheduler.Default).Unwrap();
            }
        }

        /// <summary>
        /// Completes once the container is up, or the engine's run ended. The task runs from the
        /// moment <c>podman run</c> starts, but the container exists only once its image is there and
        /// it was created: a pause, stop or kill sent in between would find no container and be lost.
        /// Asked only when a signal comes, and only until the container is up.
        /// </summary>
        private async Task UpAsync()
        {
            while (!run.HasExited)
            {
                var (code, state) = await engine.RunAsync("container", "inspect", "--format", "{{.State.Status}}", name);
                // Not yet made, or made and not started: podman says configured, created or initialized; docker created.
                if (code == 0 && state.Trim() is not ("configured" or "created" or "initialized")) return;
                await Task.Delay(UpCheck);
            }
        }

        private async Task<(int, string)> StopAsync()
        {
            await engine.RunAsync("unpause", name);
            var seconds = Math.Max(1, (int)Math.Ceiling(grace.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
            return await engine.RunAsync("stop", "-t", seconds, name);
        }
    }
}
