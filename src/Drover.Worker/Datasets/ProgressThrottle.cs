namespace Drover.Worker.Datasets;

/// <summary>
/// Sends the latest of many progress values at most once per interval, one send at a time (so
/// they arrive in order), and always the last one: a download that stalls still shows how far it got.
/// Flushing ends the wait at once: a transfer that took a moment is not held up by the interval.
/// </summary>
internal sealed class ProgressThrottle(Func<long, Task> send, TimeSpan interval)
{
    private readonly Lock _gate = new();
    // Never disposed: it has no timer, and a Report racing the flush must not meet a disposed source.
    private readonly CancellationTokenSource _flushing = new();
    private long _latest;
    private long _sent = -1;
    private Task _sending = Task.CompletedTask;
    private bool _scheduled;

    public void Report(long value)
    {
        lock (_gate)
        {
            _latest = value;
            if (_scheduled) return;
            _scheduled = true;
            var previous = _sending;
            _sending = SendLaterAsync(previous);
        }
    }

    /// <summary>Sends what waits for its interval now, then the latest value if it has not gone yet. Later reports go at once.</summary>
    public async Task FlushAsync()
    {
        await _flushing.CancelAsync().ConfigureAwait(false);
        Task pending;
        lock (_gate) pending = _sending;
        await pending.ConfigureAwait(false);
        long value;
        lock (_gate)
        {
            if (_latest == _sent) return;
            value = _sent = _latest;
        }
        await send(value).ConfigureAwait(false);
    }

    private async Task SendLaterAsync(Task previous)
    {
        await previous.ConfigureAwait(false);
        try
        {
            await Task.Delay(interval, _flushing.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        long value;
        lock (_gate)
        {
            _scheduled = false;
            value = _sent = _latest;
        }
        try
        {
            await send(value).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // Progress is advisory: whatever failed, the next update replaces it.
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }
}
