using System.Diagnostics.Metrics;
using Drover.Json;
using Drover.Model;
using Drover.Observability;
using Drover.Query;
using Drover.Storage;
using Microsoft.Extensions.Hosting;

namespace Drover.Server.Observability;

/// <summary>
/// The values of the gauges (queue depth per batch and state, workers per state): read from the
/// store every <see cref="Every"/> in the background, since a gauge is asked for synchronously and
/// a scrape should not wait on the database.
/// </summary>
public sealed class GaugeSnapshot(ITaskStore store, TimeProvider time) : BackgroundService
{
    public static readonly TimeSpan Every = TimeSpan.FromSeconds(5);
    private static readonly string[] QueueStates = [.. TaskStateRules.Live.Select(Enums.Name)];
    private volatile IReadOnlyList<BatchRecord> _batches = [];
    private volatile IReadOnlyList<WorkerRecord> _workers = [];
    private volatile IReadOnlyDictionary<string, long> _handlers = new Dictionary<string, long>();
    private static readonly TaskField Status = TaskFields.Get("status");
    private static readonly TaskField Handler = TaskFields.Get("handler");
    private static int _registered;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // The meter is static: one server per process registers its gauges (tests may host several).
        if (Interlocked.Exchange(ref _registered, 1) == 0) TaskMetrics.ObserveGauges(QueueDepth, HandlerDepth, Workers);
        using var timer = new PeriodicTimer(Every, time);
        try
        {
            await ReadAsync(timer, stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping (or a server that never started being disposed): nothing to report.
        }
    }

    private async Task ReadAsync(PeriodicTimer timer, CancellationToken stoppingToken)
    {
        do
        {
            try
            {
                // Live batches only (an index read, not a count of every task kept); a batch that has just
                // emptied reports zeros once, so its series ends at 0 rather than at its last depth.
                var live = await store.ListLiveBatchesAsync(stoppingToken);
                var emptied = _batches.Where(b => b.Counts.Count > 0 && live.All(l => l.Name != b.Name))
                    .Select(b => b with { Counts = new Dictionary<string, long>() });
                _batches = [.. live, .. emptied];
                _workers = await store.ListWorkersAsync(stoppingToken);
                _handlers = await HandlersAsync(stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // The last values stay; the next round tries again.
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    /// <summary>
    /// Queued tasks per handler: the handlers workers offer, and those queued tasks name (from up to
    /// 1,000 of them), each counted by the store.
    /// </summary>
    private async Task<IReadOnlyDictionary<string, long>> HandlersAsync(CancellationToken cancellationToken)
    {
        var queued = new CompareFilter(Status, CompareOp.Eq, Enums.Name(TaskState.Queued));
        var named = await store.QueryTasksAsync(new TaskQuery { Filter = new AndFilter([queued, new ExistsFilter(Handler, true)]), Limit = 1000 }, cancellationToken);
        var names = _workers.SelectMany(w => w.Handlers ?? []).Concat(named.Select(t => t.Handler!)).ToHashSet(StringComparer.Ordinal);
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var name in names)
            counts[name] = await store.CountTasksAsync(new AndFilter([queued, new CompareFilter(Handler, CompareOp.Eq, name)]), cancellationToken);
        return counts;
    }

    private IEnumerable<Measurement<long>> HandlerDepth() =>
        _handlers.Select(h => new Measurement<long>(h.Value, new KeyValuePair<string, object?>("handler", h.Key)));

    private IEnumerable<Measurement<long>> QueueDepth() =>
        from batch in _batches
        from state in QueueStates
        select new Measurement<long>(batch.Counts.GetValueOrDefault(state), new KeyValuePair<string, object?>("batch", batch.Name), new("state", state));

    private IEnumerable<Measurement<long>> Workers() =>
        Enum.GetValues<WorkerState>().Select(state => new Measurement<long>(_workers.Count(w => w.Status == state), new KeyValuePair<string, object?>("state", Enums.Name(state))));
}
