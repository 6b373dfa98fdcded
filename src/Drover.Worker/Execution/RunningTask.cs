using Drover.Contracts;

namespace Drover.Worker.Execution;

/// <summary>
/// A lease in the worker's hands: the handle through which it is run, stopped, and its output read.
/// </summary>
public sealed class RunningTask(LeasedTask lease, int outputLimitBytes) : IDisposable
{
    private readonly CancellationTokenSource _stop = new();

    public LeasedTask Lease { get; } = lease;

    internal OutputCapture Stdout { get; } = new(outputLimitBytes);

    internal OutputCapture Stderr { get; } = new(outputLimitBytes);

    public StopReason StopReason { get; private set; }

    /// <summary>Fires when the task must stop early (worker stopping, lease gone); timeouts are separate.</summary>
    public CancellationToken Stopping => _stop.Token;

    public void Stop(StopReason reason)
    {
        if (StopReason == StopReason.None) StopReason = reason;
        _stop.Cancel();
    }

    /// <summary>New output since the last call, as an event; null when there is none.</summary>
    public ReportEvent? TakeOutput()
    {
        var stdout = Stdout.TakeUnsent();
        var stderr = Stderr.TakeUnsent();
        if (stdout is null && stderr is null) return null;
        return new ReportEvent
        {
            Type = ReportEventType.Output,
            ExecutionId = Lease.ExecutionId,
            Stdout = stdout,
            Stderr = stderr,
            StdoutBytes = Stdout.TotalBytes,
            StderrBytes = Stderr.TotalBytes,
        };
    }

    /// <summary>The finished event with the kept output.</summary>
    public ReportEvent Finished(int? exitCode, bool timedOut = false, string? error = null, System.Text.Json.JsonElement? result = null) => new()
    {
        Type = ReportEventType.Finished,
        ExecutionId = Lease.ExecutionId,
        ExitCode = exitCode,
        TimedOut = timedOut,
        Error = error,
        Result = result,
        Stdout = Stdout.Tail(),
        Stderr = Stderr.Tail(),
        StdoutBytes = Stdout.TotalBytes,
        StderrBytes = Stderr.TotalBytes,
    };

    public void Dispose() => _stop.Dispose();
}
