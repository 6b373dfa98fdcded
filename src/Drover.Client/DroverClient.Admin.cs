using Drover.Contracts;
using Drover.Model;

namespace Drover.Client;

/// <summary>The admin calls (<c>/api/admin</c>, admin token): what runs where, pings, a test task, log levels, stopping.</summary>
public sealed partial class DroverClient
{
    /// <summary>This server, the workers by state and how busy each is, the data they hold, the tasks by state.</summary>
    public async Task<AdminInfo> AdminInfoAsync(CancellationToken cancellationToken = default) =>
        (await _sender.SendAsync<AdminInfo>(HttpMethod.Get, "api/admin/info", null, CallKind.Read, cancellationToken))!;

    /// <summary>Every connected worker answers a task of its own, within <paramref name="timeout"/> (default 5 s).</summary>
    public async Task<IReadOnlyList<WorkerAnswer>> PingAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        (await _sender.SendAsync<List<WorkerAnswer>>(HttpMethod.Post, "api/admin/ping" + TimeoutQuery(timeout), null, CallKind.Once, cancellationToken,
            attemptTimeout: (timeout ?? TimeSpan.FromSeconds(5)) + Options.AttemptTimeout))!;

    /// <summary>A test task that sleeps on a random worker; wait for it like any task.</summary>
    public async Task<SleepStarted> SleepAsync(double seconds, CancellationToken cancellationToken = default) =>
        (await _sender.SendAsync<SleepStarted>(HttpMethod.Post, "api/admin/sleep", new SleepRequest { Seconds = seconds }, CallKind.Once, cancellationToken))!;

    /// <summary>Sets the log level (trace, debug, information, warning, error, critical, none) of the server and every connected worker.</summary>
    public async Task<LogLevelChanged> SetLogLevelAsync(string level, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        (await _sender.SendAsync<LogLevelChanged>(HttpMethod.Post, "api/admin/loglevel" + TimeoutQuery(timeout), new LogLevelRequest { Level = level },
            CallKind.Once, cancellationToken, attemptTimeout: (timeout ?? TimeSpan.FromSeconds(5)) + Options.AttemptTimeout))!;

    /// <summary>Every connected worker drains and exits.</summary>
    public async Task<IReadOnlyList<WorkerRecord>> StopWorkersAsync(CancellationToken cancellationToken = default) =>
        (await _sender.SendAsync<List<WorkerRecord>>(HttpMethod.Post, "api/admin/stop-workers", null, CallKind.Once, cancellationToken))!;

    /// <summary>Every connected worker drains and exits, and the server stops once it has answered.</summary>
    public async Task<IReadOnlyList<WorkerRecord>> StopAllAsync(CancellationToken cancellationToken = default) =>
        (await _sender.SendAsync<List<WorkerRecord>>(HttpMethod.Post, "api/admin/stop-all", null, CallKind.Once, cancellationToken))!;

    private static string TimeoutQuery(TimeSpan? timeout) => timeout is { } t ? "?timeout=" + Json.Durations.Format(t) : "";
}
