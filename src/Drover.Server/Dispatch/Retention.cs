using Drover.Query;
using Drover.Server.Hosting;
using Drover.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Drover.Server.Dispatch;

/// <summary>
/// <c>--keep-finished</c>: purges the tasks that ended longer ago than that, in the background, a
/// little at a time (every tenth of the period, at most hourly), through the same purge as the API;
/// and the recruitment jobs that ended, with the deployments given back. <c>--keep-workers</c>
/// (always on, 7 days by default): the stopped and lost workers last seen longer ago than that.
/// </summary>
public sealed class Retention(ITaskStore store, IRecruitmentStore records, DroverServerOptions options, TimeProvider time, ILogger<Retention> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var shortest = options.KeepFinished is { } finished && finished < options.KeepWorkers ? finished : options.KeepWorkers;
        var period = TimeSpan.FromTicks(Math.Clamp(shortest.Ticks / 10, TimeSpan.FromSeconds(1).Ticks, TimeSpan.FromHours(1).Ticks));
        using var timer = new PeriodicTimer(period, time);
        try
        {
            do
            {
                try
                {
                    var workers = await store.PurgeWorkersAsync(time.GetUtcNow() - options.KeepWorkers, stoppingToken);
                    if (workers > 0) Log.PurgedWorkers(logger, workers, options.KeepWorkers);
                    if (options.KeepFinished is not { } keep) continue;
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
