using Drover.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Drover.Server.Dispatch;

/// <summary>Queues again the tasks of workers that stopped heartbeating, once their leases expire.</summary>
public sealed class LeaseReaper(ITaskStore store, StoreOptions options, TimeProvider time, ILogger<LeaseReaper> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Expiry is a matter of time, so a timer is right here; a fraction of the timeout keeps the delay small.
        var period = TimeSpan.FromTicks(Math.Clamp(options.LeaseTimeout.Ticks / 4, TimeSpan.FromMilliseconds(50).Ticks, TimeSpan.FromSeconds(5).Ticks));
        using var timer = new PeriodicTimer(period, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    var expired = await store.ExpireLeasesAsync(stoppingToken);
                    if (expired > 0) Log.LeasesExpired(logger, expired);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    Log.ReaperFailed(logger, ex);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
