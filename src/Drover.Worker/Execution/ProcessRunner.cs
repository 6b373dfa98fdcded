using System.Diagnostics;
using Drover.Contracts;

namespace Drover.Worker.Execution;

/// <summary>
/// Runs a command as its own process group (through <c>setsid</c>), in a working directory of its
/// own, capturing stdout and stderr. A timeout or a stop signals the whole group, so nothing the
/// task started outlives it. Nor does it outlive the worker: see <see cref="Guard"/>.
/// </summary>
public sealed class ProcessRunner(WorkerOptions options, Uri server) : ITaskRunner
{
    private static readonly string? Setsid = PosixProcess.Resolve("setsid", Environment.GetEnvironmentVariable("PATH"));
    private static readonly string? Sh = PosixProcess.Resolve("sh", "/bin:/usr/bin");

    /// <summary>Where this worker's <c>drover</c> is, first on each task's PATH (null: not added).</summary>
    private readonly string? _tools = DroverShim.Write(options);

    /// <summary>
    /// Runs first in the task's new process group, then becomes the task (exec, same pid): a watcher
    /// in the group blocks reading the pipe the worker holds on stdin, and kills the whole group when
    /// the pipe closes, which happens only when the worker dies (even by kill -9). The task itself
    /// gets /dev/null on stdin, as before. No polling: the kernel wakes the watcher.
    /// </summary>
    internal const string Guard = "exec 3<&0 </dev/null\n{ read -r _ <&3; kill -KILL 0; } &\nexec 3<&- \"$@\"";

    public bool CanRun(LeasedTask lease) => lease.Command is { Count: > 0 } && lease.Container is null;

    public async Task<ReportEvent> RunAsync(RunningTask task)
    {
        var lease = task.Lease;
        var argv = CommandLine(lease);
        var path = lease.Env?.GetValueOrDefault("PATH") ?? Environment.GetEnvironmentVariable("PATH");
        var program = PosixProcess.Resolve(argv[0], path);
        if (program is null) return task.Finished(exitCode: 127, error: $"command not found: {argv[0]}");

        // A task with data runs in the folder it was staged into, which its stager deletes after the upload.
        var workDirectory = task.Folder?.Root ?? Path.Combine(options.WorkDirectory, lease.ExecutionId.ToString());
        Directory.CreateDirectory(workDirectory);
        try
        {
            var start = GuardedStart(program, argv.Skip(1), workDirectory);
            foreach (var (key, value) in TaskEnvironment.For(lease, server, task.Folder?.Variables ?? [])) start.Environment[key] = value;
            if (_tools is not null) start.Environment["PATH"] = _tools + ":" + (start.Environment.TryGetValue("PATH", out var inherited) ? inherited : "/usr/bin:/bin");
            return await ChildProcess.RunAsync(task, start, argv[0], process =>
            {
                task.ProcessGroup = process.Id;
                return new GroupControl(process.Id);
            }, options.StopGrace);
        }
        finally
        {
            if (task.Folder is null) TryDelete(workDirectory);
        }
    }

    /// <summary>What the task runs: its command, or its one line given to its shell.</summary>
    internal static List<string> CommandLine(LeasedTask lease) =>
        lease.Shell is { } shell ? [shell, "-c", lease.Command![0]] : lease.Command!.ToList();

    /// <summary>
    /// Starts <paramref name="program"/> as the leader of a new process group, under the guard, with
    /// the worker's environment less its token (a task gets only its task token).
    /// </summary>
    internal static ProcessStartInfo GuardedStart(string program, IEnumerable<string> args, string workDirectory)
    {
        var start = new ProcessStartInfo
        {
            FileName = Setsid ?? program,
            WorkingDirectory = workDirectory,
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        if (Setsid is not null)
        {
            if (Sh is not null)
            {
                start.ArgumentList.Add(Sh);
                start.ArgumentList.Add("-c");
                start.ArgumentList.Add(Guard);
                start.ArgumentList.Add("drover-task");
            }
            start.ArgumentList.Add(program);
        }
        foreach (var arg in args) start.ArgumentList.Add(arg);
        start.Environment.Remove("DROVER_TOKEN");
        return start;
    }

    /// <summary>A command's process group: signalled as one, so that nothing it started is left behind.</summary>
    private sealed class GroupControl(int group) : IProcessControl
    {
        public Task TerminateAsync()
        {
            PosixProcess.SignalGroup(group, PosixProcess.SigTerm);
            return Task.CompletedTask;
        }

        public Task KillAsync() => CleanUpAsync();

        public Task CleanUpAsync()
        {
            PosixProcess.SignalGroup(group, PosixProcess.SigKill);
            return Task.CompletedTask;
        }
    }

    internal static void TryDelete(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
