using Drover.Model;

namespace Drover.Contracts;

/// <summary>
/// The admin handler every worker offers under a name of its own (<c>drover.admin:</c> and a random
/// id), so that the server can give one worker a task: a ping, a test sleep, a new log level. It runs
/// nothing else: no code comes over the network.
/// </summary>
public static class AdminHandlers
{
    public const string Prefix = "drover.admin:";

    /// <summary>The worker's admin handler; null for a worker that offers none.</summary>
    public static string? Of(WorkerRecord worker) => worker.Handlers?.FirstOrDefault(h => h.StartsWith(Prefix, StringComparison.Ordinal));
}

/// <summary>The args of an admin task: <c>ping</c>, <c>sleep</c> (<see cref="Seconds"/>) or <c>loglevel</c> (<see cref="Level"/>).</summary>
public sealed record AdminOrder
{
    public required string Action { get; init; }
    public double? Seconds { get; init; }
    public string? Level { get; init; }
}

/// <summary>What a worker's admin handler answers.</summary>
public sealed record AdminAnswer
{
    public required string Host { get; init; }
    public required int Pid { get; init; }
    public required DateTimeOffset Time { get; init; }
    /// <summary>The worker's log level after a <c>loglevel</c> order.</summary>
    public string? Level { get; init; }
}

/// <summary><c>GET /api/admin/info</c>: this server, the workers, the data they hold, the work there is.</summary>
public sealed record AdminInfo
{
    public required AdminServer Server { get; init; }
    public required IReadOnlyDictionary<string, int> Workers { get; init; }
    public required IReadOnlyList<AdminWorker> Connected { get; init; }
    /// <summary>Tasks per state name, over every batch.</summary>
    public required IReadOnlyDictionary<string, long> Tasks { get; init; }
    public required int Datasets { get; init; }
    public required int Shards { get; init; }
    public required long Rows { get; init; }
    public required long Bytes { get; init; }
}

public sealed record AdminServer
{
    public required string Version { get; init; }
    public required string Host { get; init; }
    public required int Pid { get; init; }
    public required string Store { get; init; }
    public required string LogLevel { get; init; }
    public required DateTimeOffset Started { get; init; }
    public required double UptimeSeconds { get; init; }
}

/// <summary>A connected worker as <c>drover admin info</c> shows it: busy is tasks running over slots.</summary>
public sealed record AdminWorker
{
    public required Guid Id { get; init; }
    public required string Name { get; init; }
    public string? Host { get; init; }
    public required string State { get; init; }
    public required int Running { get; init; }
    public required int Concurrency { get; init; }
    public required int Shards { get; init; }
}

/// <summary>One worker's answer to a ping or a log level order: its round trip, or why it gave none.</summary>
public sealed record WorkerAnswer
{
    public required Guid Worker { get; init; }
    public required string Name { get; init; }
    public string? Host { get; init; }
    public double? RoundTripMs { get; init; }
    public string? Level { get; init; }
    public string? Error { get; init; }
}

/// <summary><c>POST /api/admin/loglevel</c>: the level now, on the server and on each worker.</summary>
public sealed record LogLevelChanged
{
    public required string Level { get; init; }
    public required IReadOnlyList<WorkerAnswer> Workers { get; init; }
}

/// <summary><c>POST /api/admin/sleep</c>: the test task and the worker it was given to.</summary>
public sealed record SleepStarted
{
    public required Guid Task { get; init; }
    public required Guid Worker { get; init; }
    public required string Name { get; init; }
}

/// <summary><c>POST /api/admin/sleep</c>: how long the test task sleeps.</summary>
public sealed record SleepRequest
{
    public double? Seconds { get; init; }
}

/// <summary><c>POST /api/admin/loglevel</c>: the level for the server and every worker.</summary>
public sealed record LogLevelRequest
{
    public string? Level { get; init; }
}
