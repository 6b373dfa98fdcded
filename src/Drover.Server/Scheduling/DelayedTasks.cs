using Drover.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Drover.Server.Scheduling;

/// <summary>
/// Queues delayed tasks (<c>run_after</c>, <c>in</c>) when their time comes: one timer for the
/// earliest of them all (no loop per task), reset whenever a store says a task began waiting. The
/// times are in the task database, so a restart picks them up (and queues at once those that came due
/// meanwhile). With several servers on one database each keeps such a timer, and looks again at least
/// every <see cref="Recheck"/> for tasks delayed through the others.
/// </summary>
public sealed partial class DelayedTasks(ITaskStore store, StoreSignals signals, TimeProvider time, ILogger<DelayedTasks> logger) : BackgroundService
{
    public static readonly TimeSpan Recheck = TimeSpan.FromMinutes(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await LoopAsync(stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping (or a server that never started being disposed).
        }
    }

    private async Task LoopAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            // Taken before the look, so that a task delayed during it is not missed.
            var delayed = signals.Delayed.WaitHandle;
            var wait = Recheck;
            try
            {
                if (await store.ReleaseDueAsync(stoppingToken) is { } next)
                {
                    var until = next - time.GetUtcNow();
                    if (until < wait) wait = until < TimeSpan.Zero ? TimeSpan.Zero : until;
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogFailed(logger, ex);
                wait = TimeSpan.FromSeconds(1);
            }
            // The timer of this round ends with it, whichever came first.
            using var round = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            await Task.WhenAny(Task.Delay(wait, time, round.Token), delayed);
            await round.CancelAsync();
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Queuing delayed tasks failed; it tries again")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
