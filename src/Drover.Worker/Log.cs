using Microsoft.Extensions.Logging;

namespace Drover.Worker;

internal static partial class Log
{
    [LoggerMessage(EventId = 2000, Level = LogLevel.Information, Message = "Worker {Name} registered as {WorkerId} with {Server} (concurrency {Concurrency}, prefetch {Prefetch})")]
    public static partial void Registered(ILogger logger, string name, Guid workerId, Uri server, int concurrency, string prefetch);

    [LoggerMessage(EventId = 2001, Level = LogLevel.Warning, Message = "Server unreachable ({Reason}); retrying in {Delay}")]
    public static partial void ServerUnreachable(ILogger logger, string reason, TimeSpan delay);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Warning, Message = "The server no longer knows this worker; registering again")]
    public static partial void Reregistering(ILogger logger);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Error, Message = "The server refused a report of {Count} event(s); dropping it: {Reason}")]
    public static partial void ReportRefused(ILogger logger, int count, string reason);

    [LoggerMessage(EventId = 2007, Level = LogLevel.Debug, Message = "Leased {Count} task(s): {Tasks}")]
    public static partial void Leased(ILogger logger, int count, string tasks);

    [LoggerMessage(EventId = 2004, Level = LogLevel.Information, Message = "Stopping: handing back {Count} task(s)")]
    public static partial void Stopping(ILogger logger, int count);

    [LoggerMessage(EventId = 2006, Level = LogLevel.Critical, Message = "Reporting to the server failed; the worker stops")]
    public static partial void ReporterFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 2005, Level = LogLevel.Error, Message = "Running task {TaskId} failed inside the worker")]
    public static partial void RunFailed(ILogger logger, Guid taskId, Exception exception);

    [LoggerMessage(EventId = 2100, Level = LogLevel.Information, Message = "Task {TaskId}: {Signal} by request")]
    public static partial void Signaled(ILogger logger, Guid taskId, string signal);

    [LoggerMessage(EventId = 2101, Level = LogLevel.Information, Message = "Stopping: letting {Count} running task(s) finish for up to {Grace}")]
    public static partial void Draining(ILogger logger, int count, TimeSpan grace);

    [LoggerMessage(EventId = 2102, Level = LogLevel.Information, Message = "New settings: concurrency {Concurrency}, prefetch {Prefetch}, batch {Batch}, paused {Paused}, drain {Drain}")]
    public static partial void Control(ILogger logger, int concurrency, string prefetch, string batch, bool paused, bool drain);

    [LoggerMessage(EventId = 2103, Level = LogLevel.Warning, Message = "Stopping with the server out of reach: {Count} event(s) not delivered; the leases expire on the server and their tasks run again")]
    public static partial void GaveUpReporting(ILogger logger, int count);

    [LoggerMessage(EventId = 2104, Level = LogLevel.Warning, Message = "Stopping with the server out of reach: interrupting {Count} running task(s) now, not after the grace period")]
    public static partial void NoGraceWithoutServer(ILogger logger, int count);

    [LoggerMessage(EventId = 2200, Level = LogLevel.Information, Message = "Serving {Count} shard(s) of {Datasets} dataset(s) from {Directory}")]
    public static partial void ServingShards(ILogger logger, int count, int datasets, string directory);

    [LoggerMessage(EventId = 2201, Level = LogLevel.Information, Message = "Announced {Count} shard(s) to the server")]
    public static partial void ShardsAnnounced(ILogger logger, int count);

    [LoggerMessage(EventId = 2202, Level = LogLevel.Warning, Message = "Could not announce the shards ({Reason}); trying again at the next change or heartbeat")]
    public static partial void ShardsNotAnnounced(ILogger logger, string reason);

    [LoggerMessage(EventId = 2203, Level = LogLevel.Warning, Message = "Not serving {File}: not a readable Parquet file ({Reason})")]
    public static partial void ShardUnreadable(ILogger logger, string file, string reason);

    [LoggerMessage(EventId = 2300, Level = LogLevel.Information, Message = "Resource cache {Directory}: holding {Count} resource(s), {Size} of {Cap}")]
    public static partial void ResourcesHeld(ILogger logger, string directory, int count, string size, string cap);

    [LoggerMessage(EventId = 2400, Level = LogLevel.Information, Message = "Container tasks run through {Engine} {Flags}; {Removed} container(s) that dead workers left were removed")]
    public static partial void ContainerEngine(ILogger logger, string engine, string flags, int removed);

    [LoggerMessage(EventId = 2500, Level = LogLevel.Information, Message = "Worker channel open: tasks are pushed to this worker, reports go on the same socket")]
    public static partial void ChannelOpen(ILogger logger);

    [LoggerMessage(EventId = 2501, Level = LogLevel.Information, Message = "No worker channel ({Reason}); leasing and reporting over HTTP, trying the channel again every {Retry}")]
    public static partial void ChannelRefused(ILogger logger, string reason, TimeSpan retry);

    [LoggerMessage(EventId = 2502, Level = LogLevel.Warning, Message = "Worker channel lost ({Reason}); over HTTP until it opens again")]
    public static partial void ChannelLost(ILogger logger, string reason);
}
