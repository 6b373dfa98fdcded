using System.Text;
using Drover.Contracts;
using Microsoft.Extensions.Logging;

namespace Drover.Worker.Handlers;

/// <summary>What a .NET handler gets besides its args: the task (as leased, and its whole record on request), a token that fires on term, kill, cancel or timeout, status updates, output, a logger and the host's services.</summary>
public sealed class HandlerContext
{
    private readonly Func<StatusUpdate, CancellationToken, Task> _status;
    private readonly Func<CancellationToken, Task<Model.TaskRecord?>> _record;

    internal HandlerContext(LeasedTask task, CancellationToken cancellationToken, Func<StatusUpdate, CancellationToken, Task> status,
        Func<CancellationToken, Task<Model.TaskRecord?>> record, ILogger logger, IServiceProvider? services, TextWriter output, TextWriter error)
    {
        Task = task;
        CancellationToken = cancellationToken;
        _status = status;
        _record = record;
        Logger = logger;
        Services = services;
        Out = output;
        Error = error;
    }

    /// <summary>The task as leased: id, attempt, args, env, timeout.</summary>
    public LeasedTask Task { get; }

    public Guid TaskId => Task.TaskId;

    public int Attempt => Task.Attempt;

    /// <summary>Fires when the task is termed, killed, canceled, times out, or the worker stops.</summary>
    public CancellationToken CancellationToken { get; }

    public ILogger Logger { get; }

    /// <summary>The host's services when the worker runs in a .NET host (<c>AddDroverWorker</c>); null otherwise.</summary>
    public IServiceProvider? Services { get; }

    /// <summary>The task's stdout: streamed to its followers and kept as its output tail.</summary>
    public TextWriter Out { get; }

    /// <summary>The task's stderr.</summary>
    public TextWriter Error { get; }

    /// <summary>The task's whole record as the server has it now (name, batch, group, attempts, status message...).</summary>
    public async Task<Model.TaskRecord> GetRecordAsync() =>
        await _record(CancellationToken) ?? throw new InvalidOperationException($"task {TaskId} is no longer on the server");

    /// <summary>Sets the task's status message and progress (0 to 1), as <c>drover status</c> does from a command.</summary>
    public Task Status(string? message, double? progress = null) =>
        _status(new StatusUpdate { Message = message, Progress = progress }, CancellationToken);
}

/// <summary>Text written by a handler, into one of its task's output streams.</summary>
internal sealed class CaptureWriter(Execution.OutputCapture capture) : TextWriter
{
    public override Encoding Encoding => Encoding.UTF8;

    public override void Write(char value) => Write(value.ToString());

    public override void Write(string? value)
    {
        if (!string.IsNullOrEmpty(value)) capture.Write(Encoding.UTF8.GetBytes(value));
    }

    public override void Write(char[] buffer, int index, int count) => Write(new string(buffer, index, count));
}
