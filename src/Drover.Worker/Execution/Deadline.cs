namespace Drover.Worker.Execution;

/// <summary>
/// A token cancelled when a task's timeout has passed, for any length of timeout: .NET's timers stop
/// at about 49.7 days, so a longer one is waited for in steps. No timeout: a token never cancelled.
/// </summary>
public sealed class Deadline : IDisposable
{
    /// <summary>The longest single wait a .NET timer takes (uint.MaxValue - 1 milliseconds), less a margin.</summary>
    public static readonly TimeSpan LongestStep = TimeSpan.FromDays(49);

    private readonly CancellationTokenSource _source = new();
    private readonly ITimer? _timer;
    private readonly DateTimeOffset _end;
    private readonly TimeProvider _time;
    private readonly TimeSpan _step;
    private readonly Lock _gate = new();
    private bool _disposed;

    /// <param name="step">The longest single timer wait (tests make it short).</param>
    public Deadline(TimeSpan? timeout, TimeProvider? time = null, TimeSpan? step = null)
    {
        _time = time ?? TimeProvider.System;
        _step = step ?? LongestStep;
        if (timeout is not { } t) return;
        _end = _time.GetUtcNow() + t;
        _timer = _time.CreateTimer(_ => Step(), null, Clamp(t), Timeout.InfiniteTimeSpan);
    }

    public CancellationToken Token => _source.Token;

    public bool HasPassed => _source.IsCancellationRequested;

    private void Step()
    {
        // The timer may fire while the task ends and disposes this deadline: then there is nothing to cancel.
        lock (_gate)
        {
            if (_disposed) return;
            var left = _end - _time.GetUtcNow();
            if (left <= TimeSpan.Zero) _source.Cancel();
            else _timer?.Change(Clamp(left), Timeout.InfiniteTimeSpan);
        }
    }

    private TimeSpan Clamp(TimeSpan wait) => wait < _step ? wait : _step;

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
        }
        _timer?.Dispose();
        _source.Dispose();
    }
}
