using Drover.Query;
using Drover.Server.Hosting;
using Drover.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Drover.Server.Dispatch;

/// <summary>
/// <c>--keep-finished</c>: purges the tasks that ended longer ago than that, in the background, a
/// little at a time (every tenth of the period, at most hourly), through the same purge as the API;
/// and the recruitment jobs that ended, with the deployments given back.
/// </summary>
public sealed class Retention(ITaskStore store, IRecruitmentStore records, DroverServerOptions options, TimeProvider time, ILogger<Retention> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.KeepFinished is not { } keep) return;
        var period = TimeSpan.FromTicks(Math.Clamp(keep.Ticks / 10, TimeSpan.FromSeconds(1).Ticks, TimeSpan.FromHours(1).Ticks));
        using var timer = new PeriodicTimer(period, time);
        try
        {
            do
            {
                try
                {
                    var outcome = await store.PurgeAsync(new CompareFilter(TaskFields.Get("completed"), CompareOp.Lt, time.GetUtcNow() - keep), stoppingToken);
                    if (outcome.Deleted > 0) Log.Purged(logger, outcome.Deleted, keep);
                    // Recruitment's jobs go the same way, so that their logs do not pile up either.
                    var jobs = await records.PurgeJobsAsync(time.GetUtcNow() - keep, stoppingToken);
                    if (jobs > 0) Log.PurgedJobs(logger, jobs, keep);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    Log.RetentionFailed(logger, ex);
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
