using System.Diagnostics.Metrics;
using Drover.Json;
using Drover.Model;
using Drover.Observability;
using Drover.Storage;
using Microsoft.Extensions.Hosting;

namespace Drover.Server.Observability;

/// <summary>
/// The values of the gauges (queue depth per batch and state, workers per state): read from the
/// store every <see cref="Every"/> in the background, since a gauge is asked for synchronously and
/// a scrape should not wait on the database. Counting millions of queued tasks takes the database
/// seconds, so a round is spaced as <see cref="CostlyReads"/> says. And the rounds begin with the first
/// collection (a <c>/metrics</c> scrape, an <c>--otlp</c> export): a server nobody measures never counts.
/// </summary>
public sealed class GaugeSnapshot(ITaskStore store, TimeProvider time) : BackgroundService
{
    public static readonly TimeSpan Every = TimeSpan.FromSeconds(5);
    private static readonly string[] QueueStates = [.. TaskStateRules.Live.Select(Enums.Name)];
    private volatile IReadOnlyList<BatchRecord> _batches = [];
    private volatile IReadOnlyList<WorkerRecord> _workers = [];
    private volatile IReadOnlyDictionary<string, long> _handlers = new Dictionary<string, long>();
    private static int _registered;
    private readonly TaskCompletionSource _observed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // The meter is static: one server per process registers its gauges (tests may host several).
        if (Interlocked.Exchange(ref _registered, 1) == 0) TaskMetrics.ObserveGauges(QueueDepth, HandlerDepth, Workers);
        try
        {
            await _observed.Task.WaitAsync(stoppingToken);
            await ReadAsync(stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping (or a server that never started being disposed): nothing to report.
        }
    }

    private async Task ReadAsync(CancellationToken stoppingToken)
    {
        while (true)
        {
            var started = time.GetTimestamp();
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
            await Task.Delay(NextRoundIn(time.GetElapsedTime(started)), time, stoppingToken).ConfigureAwait(false);
        }
    }

    /// <summary>How long to wait after a round that took <paramref name="took"/>.</summary>
    public static TimeSpan NextRoundIn(TimeSpan took) => CostlyReads.Spacing(took) > Every ? CostlyReads.Spacing(took) : Every;

    /// <summary>Queued tasks per handler: those queued tasks name (one grouped read), and zero for the others workers offer.</summary>
    private async Task<IReadOnlyDictionary<string, long>> HandlersAsync(CancellationToken cancellationToken)
    {
        var counts = new Dictionary<string, long>(await store.CountQueuedByHandlerAsync(cancellationToken), StringComparer.Ordinal);
        foreach (var offered in _workers.SelectMany(w => w.Handlers ?? [])) counts.TryAdd(offered, 0);
        return counts;
    }

    // Each gauge's callback runs at a collection: the first one starts the rounds.
    private IEnumerable<Measurement<long>> HandlerDepth()
    {
        _observed.TrySetResult();
        return _handlers.Select(h => new Measurement<long>(h.Value, new KeyValuePair<string, object?>("handler", h.Key)));
    }

    private IEnumerable<Measurement<long>> QueueDepth()
    {
        _observed.TrySetResult();
        return from batch in _batches
               from state in QueueStates
               select new Measurement<long>(batch.Counts.GetValueOrDefault(state), new KeyValuePair<string, object?>("batch", batch.Name), new("state", state));
    }

    private IEnumerable<Measurement<long>> Workers()
    {
        _observed.TrySetResult();
        return Enum.GetValues<WorkerState>().Select(state => new Measurement<long>(_workers.Count(w => w.Status == state), new KeyValuePair<string, object?>("state", Enums.Name(state))));
    }
}
