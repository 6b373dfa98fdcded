using System.ComponentModel;
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

    /// <summary>
    /// Runs first in the task's new process group, then becomes the task (exec, same pid): a watcher
    /// in the group blocks reading the pipe the worker holds on stdin, and kills the whole group when
    /// the pipe closes, which happens only when the worker dies (even by kill -9). The task itself
    /// gets /dev/null on stdin, as before. No polling: the kernel wakes the watcher.
    /// </summary>
    internal const string Guard = "exec 3<&0 </dev/null\n{ read -r _ <&3; kill -KILL 0; } &\nexec 3<&- \"$@\"";

    public bool CanRun(LeasedTask lease) => lease.Command is { Count: > 0 };

    public async Task<ReportEvent> RunAsync(RunningTask task)
    {
        var lease = task.Lease;
        var argv = lease.Shell is { } shell ? [shell, "-c", lease.Command![0]] : lease.Command!.ToList();
        var path = lease.Env?.GetValueOrDefault("PATH") ?? Environment.GetEnvironmentVariable("PATH");
        var program = PosixProcess.Resolve(argv[0], path);
        if (program is null) return task.Finished(exitCode: 127, error: $"command not found: {argv[0]}");

        // A task with data runs in the folder it was staged into, which its stager deletes after the upload.
        var workDirectory = task.Folder?.Root ?? Path.Combine(options.WorkDirectory, lease.ExecutionId.ToString());
        Directory.CreateDirectory(workDirectory);
        try
        {
            using var process = new Process { StartInfo = StartInfo(lease, program, argv, workDirectory, task.Folder) };
            try
            {
                process.Start();
            }
            catch (Win32Exception ex)
            {
                return task.Finished(exitCode: 126, error: $"could not start {argv[0]}: {ex.Message}");
            }
            task.ProcessGroup = process.Id;
            task.MarkStarted();
            // stdin stays open, unwritten, for the guard; it closes when the process is disposed or the worker dies.
            var pumps = Task.WhenAll(
                PumpAsync(process.StandardOutput.BaseStream, task.Stdout),
                PumpAsync(process.StandardError.BaseStream, task.Stderr));

            var timedOut = await WaitForExitAsync(process, task, lease.Timeout);
            // Whatever the task left running in its group goes with it.
            PosixProcess.SignalGroup(process.Id, PosixProcess.SigKill);
            try
            {
                // A process that escaped the group (its own setsid) may hold the pipes open; do not wait on it forever.
                await pumps.WaitAsync(TimeSpan.FromSeconds(5));
            }
            catch (TimeoutException)
            {
            }
            return timedOut
                ? task.Finished(process.ExitCode, timedOut: true)
                : task.Finished(process.ExitCode);
        }
        finally
        {
            if (task.Folder is null) TryDelete(workDirectory);
        }
    }

    private ProcessStartInfo StartInfo(LeasedTask lease, string program, List<string> argv, string workDirectory, RunFolder? folder)
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
        foreach (var arg in argv.Skip(1)) start.ArgumentList.Add(arg);
        // The worker's own token stays with the worker: a task gets only its task token (or what its env says).
        start.Environment.Remove("DROVER_TOKEN");
        foreach (var (key, value) in lease.Env ?? new Dictionary<string, string>()) start.Environment[key] = value;
        start.Environment["DROVER_URL"] = server.ToString();
        start.Environment["DROVER_TASK_ID"] = lease.TaskId.ToString();
        start.Environment["DROVER_EXECUTION_ID"] = lease.ExecutionId.ToString();
        if (lease.TaskToken is { } token) start.Environment["DROVER_TASK_TOKEN"] = token;
        start.Environment["DROVER_ATTEMPT"] = lease.Attempt.ToString(System.Globalization.CultureInfo.InvariantCulture);
        foreach (var (name, path) in folder?.Variables ?? []) start.Environment[name] = path;
        return start;
    }

    /// <returns>True when the task ran past its timeout and was killed.</returns>
    private async Task<bool> WaitForExitAsync(Process process, RunningTask task, TimeSpan? timeout)
    {
        using var deadline = new Deadline(timeout);
        using var either = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, task.Stopping);
        try
        {
            await process.WaitForExitAsync(either.Token);
            return false;
        }
        catch (OperationCanceledException)
        {
        }
        if (task.Stopping.IsCancellationRequested && !deadline.HasPassed)
        {
            // Stopping: ask politely, then insist.
            PosixProcess.SignalGroup(process.Id, PosixProcess.SigTerm);
            using var grace = new CancellationTokenSource(options.StopGrace);
            try
            {
                await process.WaitForExitAsync(grace.Token);
                return false;
            }
            catch (OperationCanceledException)
            {
            }
        }
        PosixProcess.SignalGroup(process.Id, PosixProcess.SigKill);
        await process.WaitForExitAsync(CancellationToken.None);
        return deadline.HasPassed && !task.Stopping.IsCancellationRequested;
    }

    private static async Task PumpAsync(Stream stream, OutputCapture capture)
    {
        var buffer = new byte[64 * 1024];
        int read;
        while ((read = await stream.ReadAsync(buffer)) > 0) capture.Write(buffer.AsSpan(0, read));
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
