using Drover.Storage;
using Microsoft.Extensions.Hosting;

namespace Drover.Server.Scheduling;

/// <summary>
/// A background service with one timer: each round does what is due and says when the next thing
/// will be; it sleeps until then, at most <see cref="Longest"/>, or until <see cref="Wake"/> is
/// pulsed. No loop per item, and nothing polled faster than the work asks for. A failed round is
/// logged and tried again after <see cref="AfterFailure"/>.
/// </summary>
public abstract class NextTimeLoop(TimeProvider time) : BackgroundService
{
    protected TimeProvider Time { get; } = time;

    /// <summary>Pulsed when something may now be due sooner than the round said.</summary>
    protected abstract AsyncSignal Wake { get; }

    /// <summary>The longest sleep (for changes nobody pulses, such as those made through another server).</summary>
    protected abstract TimeSpan Longest { get; }

    protected virtual TimeSpan AfterFailure => Longest;

    /// <summary>Does what is due; returns when the next thing is due (null: nothing known).</summary>
    protected abstract Task<DateTimeOffset?> RoundAsync(CancellationToken cancellationToken);

    protected abstract void LogFailed(Exception exception);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                // Taken before the round, so that a pulse during it is not missed.
                var woken = Wake.WaitHandle;
                var wait = Longest;
                try
                {
                    if (await RoundAsync(stoppingToken) is { } next)
                    {
                        var until = next - Time.GetUtcNow();
                        if (until < wait) wait = until < TimeSpan.Zero ? TimeSpan.Zero : until;
                    }
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    LogFailed(ex);
                    wait = AfterFailure;
                }
                // The timer of this round ends with it, whichever came first.
                using var round = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                await Task.WhenAny(Task.Delay(wait, Time, round.Token), woken);
                await round.CancelAsync();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping (or a server that never started being disposed).
        }
    }
}
