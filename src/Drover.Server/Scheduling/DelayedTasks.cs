using Drover.Storage;
using Microsoft.Extensions.Logging;

namespace Drover.Server.Scheduling;

/// <summary>
/// Queues delayed tasks (<c>run_after</c>, <c>in</c>) when their time comes: one timer for the
/// earliest of them all (no loop per task), reset whenever a store says a task began waiting. The
/// times are in the task database, so a restart picks them up (and queues at once those that came due
/// meanwhile). With several servers on one database each keeps such a timer, and looks again at least
/// every minute for tasks delayed through the others.
/// </summary>
public sealed partial class DelayedTasks(ITaskStore store, StoreSignals signals, TimeProvider time, ILogger<DelayedTasks> logger) : NextTimeLoop(time)
{
    protected override AsyncSignal Wake => signals.Delayed;

    protected override TimeSpan Longest => TimeSpan.FromMinutes(1);

    protected override TimeSpan AfterFailure => TimeSpan.FromSeconds(1);

    protected override Task<DateTimeOffset?> RoundAsync(CancellationToken cancellationToken) => store.ReleaseDueAsync(cancellationToken);

    protected override void LogFailed(Exception exception) => Failed(logger, exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "Queuing delayed tasks failed; it tries again")]
    private static partial void Failed(ILogger logger, Exception exception);
}
