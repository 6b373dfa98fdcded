using Microsoft.Extensions.Logging;

namespace Drover.Server;

internal static partial class Log
{
    [LoggerMessage(EventId = 1000, Level = LogLevel.Information, Message = "Drover listening on {Url} (store: {Store})")]
    public static partial void Listening(ILogger logger, string url, string store);

    [LoggerMessage(EventId = 1001, Level = LogLevel.Warning, Message = "{Count} lease(s) expired; their tasks are queued again")]
    public static partial void LeasesExpired(ILogger logger, int count);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Error, Message = "Expiring leases failed")]
    public static partial void ReaperFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Information, Message = "Worker {Name} registered as {WorkerId}")]
    public static partial void WorkerRegistered(ILogger logger, string name, Guid workerId);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Information, Message = "Purged {Count} task(s) that ended more than {Keep} ago")]
    public static partial void Purged(ILogger logger, long count, TimeSpan keep);

    [LoggerMessage(EventId = 1005, Level = LogLevel.Error, Message = "Purging old tasks failed")]
    public static partial void RetentionFailed(ILogger logger, Exception exception);
}
