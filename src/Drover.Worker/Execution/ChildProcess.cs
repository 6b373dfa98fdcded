using System.ComponentModel;
using System.Diagnostics;
using Drover.Contracts;

namespace Drover.Worker.Execution;

/// <summary>How a runner ends what it started: politely, then at once, then whatever was left.</summary>
internal interface IProcessControl
{
    /// <summary>Asks the task to end (SIGTERM to its group, an engine's <c>stop</c>); it has the stop grace.</summary>
    Task TerminateAsync();

    /// <summary>Ends the task now.</summary>
    Task KillAsync();

    /// <summary>After the process exited: nothing the task started may outlive it.</summary>
    Task CleanUpAsync();
}

/// <summary>
/// Runs a task's process to its end: started with its output pumped into the task's capture, then
/// waited for until it exits, its timeout passes (killed), or the task must stop (terminated, then
/// killed after the grace). Shared by commands and containers, which differ only in how they stop.
/// </summary>
internal static class ChildProcess
{
    public static async Task<ReportEvent> RunAsync(RunningTask task, ProcessStartInfo start, string what,
        Func<Process, IProcessControl> controlOf, TimeSpan grace)
    {
        try
        {
            await task.HeldAsync();
        }
        catch (OperationCanceledException)
        {
            return task.Finished(exitCode: null, error: "stopped while paused, before it started");
        }
        using var process = new Process { StartInfo = start };
        try
        {
            process.Start();
        }
        catch (Win32Exception ex)
        {
            return task.Finished(exitCode: 126, error: $"could not start {what}: {ex.Message}");
        }
        var control = controlOf(process);
        task.MarkStarted();
        // stdin stays open, unwritten, for the guard; it closes when the process is disposed or the worker dies.
        var pumps = Task.WhenAll(
            PumpAsync(process.StandardOutput.BaseStream, task.Stdout),
            PumpAsync(process.StandardError.BaseStream, task.Stderr));

        var timedOut = await WaitForExitAsync(process, task, control, grace);
        await control.CleanUpAsync();
        try
        {
            // A process that escaped the group (its own setsid) may hold the pipes open; do not wait on it forever.
            await pumps.WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (TimeoutException)
        {
        }
        return task.Finished(process.ExitCode, timedOut);
    }

    /// <returns>True when the task ran past its timeout and was killed.</returns>
    private static async Task<bool> WaitForExitAsync(Process process, RunningTask task, IProcessControl control, TimeSpan grace)
    {
        using var deadline = new Deadline(task.Lease.Timeout);
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
            await control.TerminateAsync();
            using var patience = new CancellationTokenSource(grace);
            try
            {
                await process.WaitForExitAsync(patience.Token);
                return false;
            }
            catch (OperationCanceledException)
            {
            }
        }
        await control.KillAsync();
        await process.WaitForExitAsync(CancellationToken.None);
        return deadline.HasPassed && !task.Stopping.IsCancellationRequested;
    }

    private static async Task PumpAsync(Stream stream, OutputCapture capture)
    {
        var buffer = new byte[64 * 1024];
        int read;
        while ((read = await stream.ReadAsync(buffer)) > 0) capture.Write(buffer.AsSpan(0, read));
    }
}
