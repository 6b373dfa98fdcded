using Drover.Contracts;

namespace Drover.Worker.Execution;

/// <summary>
/// A lease in the worker's hands: the handle through which it is run, stopped, and its output read.
/// </summary>
public sealed class RunningTask(LeasedTask lease, int outputLimitBytes, Action<ReportEvent> report)
{
    // Never disposed: it has no timer, and a late Stop (a stale notice racing the task's end) must not throw.
    private readonly CancellationTokenSource _stop = new();
    private bool _started;
    private readonly Lock _signals = new();
    // Set while a pause that came before the task's process existed holds its start.
    private TaskCompletionSource? _resumed;

    public LeasedTask Lease { get; } = lease;

    private OutputCapture? _stdout;
    private OutputCapture? _stderr;

    // Made on first use: a handler that prints nothing costs no buffers.
    internal OutputCapture Stdout => _stdout ??= new(outputLimitBytes);

    internal OutputCapture Stderr => _stderr ??= new(outputLimitBytes);

    public StopReason StopReason { get; private set; }

    /// <summary>The process group the task runs as, once started (0 for in-process handlers).</summary>
    public int ProcessGroup { get; set; }

    /// <summary>
    /// Applies a user's signal: to the whole process group of a command, or through a container's
    /// engine. Before the task's process exists (it is staging, or about to start), a pause holds
    /// its start until it is resumed, and term or kill stop it. A handler can only be stopped.
    /// </summary>
    public void Apply(Model.TaskSignal signal)
    {
        lock (_signals)
        {
            if (Signaller is { } signaller)
            {
                signaller(signal);
            }
            else if (ProcessGroup > 0)
            {
                PosixProcess.SignalGroup(ProcessGroup, signal switch
                {
                    Model.TaskSignal.Pause => PosixProcess.SigStop,
                    Model.TaskSignal.Resume => PosixProcess.SigCont,
                    Model.TaskSignal.Term => PosixProcess.SigTerm,
                    _ => PosixProcess.SigKill,
                });
                // A stopped group would never see a SIGTERM: wake it so that it can act on it.
                if (signal == Model.TaskSignal.Term) PosixProcess.SignalGroup(ProcessGroup, PosixProcess.SigCont);
            }
            else if (signal == Model.TaskSignal.Pause)
            {
                _resumed ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
            else if (signal == Model.TaskSignal.Resume)
            {
                _resumed?.TrySetResult();
                _resumed = null;
            }
            else
            {
                _stop.Cancel();
            }
        }
    }

    /// <summary>
    /// Completes at once, or, when the task was paused before its process started, once it is
    /// resumed. Throws <see cref="OperationCanceledException"/> if it is stopped meanwhile.
    /// </summary>
    internal Task HeldAsync()
    {
        lock (_signals) return _resumed?.Task.WaitAsync(Stopping) ?? Task.CompletedTask;
    }

    /// <summary>Set while something other than a process group takes the task's signals (a container's engine).</summary>
    internal Action<Model.TaskSignal>? Signaller { get; set; }

    /// <summary>Fires when the task must stop early (worker stopping, lease gone); timeouts are separate.</summary>
    public CancellationToken Stopping => _stop.Token;

    /// <summary>
    /// Tells the server the task is running. A runner calls it when the work will take a while (a
    /// process started); work that ends at once reports only its end, one event instead of two.
    /// </summary>
    /// <param name="transfer">For a task with data: the phase it starts in (staging) and its folder.</param>
    public void MarkStarted(Model.TransferRecord? transfer = null)
    {
        if (_started) return;
        _started = true;
        report(new ReportEvent { Type = ReportEventType.Started, ExecutionId = Lease.ExecutionId, Transfer = transfer });
    }

    /// <summary>A task with data moved on to running or uploading.</summary>
    public void ReportPhase(Model.TransferRecord transfer) =>
        report(new ReportEvent { Type = ReportEventType.Phase, ExecutionId = Lease.ExecutionId, Transfer = transfer });

    /// <summary>For a task with data: the run's folder, staged, that the runner runs it in.</summary>
    public RunFolder? Folder { get; set; }

    public void Stop(StopReason reason)
    {
        if (StopReason == StopReason.None) StopReason = reason;
        _stop.Cancel();
    }

    /// <summary>New output since the last call, as an event; null when there is none.</summary>
    public ReportEvent? TakeOutput()
    {
        var stdout = _stdout?.TakeUnsent();
        var stderr = _stderr?.TakeUnsent();
        if (stdout is null && stderr is null) return null;
        return new ReportEvent
        {
            Type = ReportEventType.Output,
            ExecutionId = Lease.ExecutionId,
            Stdout = stdout,
            Stderr = stderr,
            StdoutBytes = _stdout?.TotalBytes,
            StderrBytes = _stderr?.TotalBytes,
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
        Stdout = _stdout?.Tail(),
        Stderr = _stderr?.Tail(),
        StdoutBytes = _stdout?.TotalBytes,
        StderrBytes = _stderr?.TotalBytes,
    };
}
