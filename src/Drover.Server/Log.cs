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

    [LoggerMessage(EventId = 1010, Level = LogLevel.Error, Message = "Recruitment could not look at the batches")]
    public static partial void LookFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 1011, Level = LogLevel.Information, Message = "Deploying worker {Name} through {Provider} for batch {Batch}")]
    public static partial void Deploying(ILogger logger, string name, string provider, string batch);

    [LoggerMessage(EventId = 1012, Level = LogLevel.Warning, Message = "Deploy of {Name} failed ({Reason}); {Failures} failure(s) in a row, its recruiter waits {Wait}")]
    public static partial void DeployFailed(ILogger logger, string name, string reason, int failures, TimeSpan wait);

    [LoggerMessage(EventId = 1013, Level = LogLevel.Information, Message = "Giving back worker {Name}: {Why}")]
    public static partial void Destroying(ILogger logger, string name, string why);

    [LoggerMessage(EventId = 1014, Level = LogLevel.Information, Message = "Recycled worker {Name} from batch {From} to batch {To}")]
    public static partial void Recycled(ILogger logger, string name, string from, string to);

    [LoggerMessage(EventId = 1015, Level = LogLevel.Error, Message = "Could not save job {JobId}")]
    public static partial void JobNotSaved(ILogger logger, Guid jobId, Exception exception);

    [LoggerMessage(EventId = 1016, Level = LogLevel.Information, Message = "Purged {Count} job(s) made more than {Keep} ago")]
    public static partial void PurgedJobs(ILogger logger, int count, TimeSpan keep);

    [LoggerMessage(EventId = 1030, Level = LogLevel.Information, Message = "Purged {Count} stopped or lost worker(s) last seen more than {Keep} ago")]
    public static partial void PurgedWorkers(ILogger logger, int count, TimeSpan keep);

    [LoggerMessage(EventId = 1017, Level = LogLevel.Warning, Message = "The channel of worker {WorkerId} ended: {Why}")]
    public static partial void ChannelEnded(ILogger logger, Guid workerId, string why);
}
