using Drover.Contracts;
using Drover.Logging;

namespace Drover.Worker.Handlers;

/// <summary>
/// The worker's admin handler (<see cref="AdminHandlers"/>): answers a ping, sleeps as a test task
/// (stopped by the task's signals like any handler), and changes the worker's log level. A name of its
/// own per worker process lets the server give a task to this worker and no other.
/// </summary>
internal sealed class AdminHandler(LogLevelSwitch? logLevels)
{
    public const double MaxSleepSeconds = 86_400;

    public string Name { get; } = AdminHandlers.Prefix + Guid.NewGuid().ToString("N")[..16];

    public TaskHandlers AddTo(TaskHandlers handlers) => handlers.With<AdminOrder, AdminAnswer>(Name, RunAsync);

    private async Task<AdminAnswer> RunAsync(AdminOrder order, HandlerContext context)
    {
        switch (order?.Action)
        {
            case "ping":
                return Answer();
            case "sleep" when order.Seconds is { } seconds and >= 0 and <= MaxSleepSeconds:
                await Task.Delay(TimeSpan.FromSeconds(seconds), context.CancellationToken);
                return Answer();
            case "loglevel" when LogLevelSwitch.TryRead(order.Level, out var level):
                if (logLevels is null) throw new InvalidOperationException("this worker's logging is its host's; its level is set there");
                logLevels.Level = level;
                return Answer() with { Level = LogLevelSwitch.Name(level) };
            default:
                throw new ArgumentException($"not an admin order: {order?.Action ?? "(none)"} (ping, sleep with 0 to {MaxSleepSeconds} seconds, loglevel with a level)");
        }
    }

    private static AdminAnswer Answer() => new() { Host = Environment.MachineName, Pid = Environment.ProcessId, Time = DateTimeOffset.UtcNow };
}
