namespace Drover.Worker.Datasets;

/// <summary>
/// Sends the latest of many progress values at most once per interval, one send at a time (so
/// they arrive in order), and always the last one: a download that stalls still shows how far it got.
/// </summary>
internal sealed class ProgressThrottle(Func<long, Task> send, TimeSpan interval)
{
    private readonly Lock _gate = new();
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

    /// <summary>Waits for the sends under way, then sends the latest value if it has not gone yet.</summary>
    public async Task FlushAsync()
    {
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
        await Task.Delay(interval).ConfigureAwait(false);
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
