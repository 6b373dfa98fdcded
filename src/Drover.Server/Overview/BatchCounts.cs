using Drover.Model;
using Drover.Storage;

namespace Drover.Server.Overview;

/// <summary>
/// The batches' counts for the Overview, which every open dashboard reads every 3 s. Counting every
/// task per batch and state reads the whole table (seconds at ten million), so a count is reused
/// while it is younger than <see cref="CostlyReads.Spacing"/> of what it cost: a count that took
/// 2 ms is at most 40 ms old, one that took 3 s a minute. One count at a time; whoever asks
/// meanwhile shares it.
/// </summary>
public sealed class BatchCounts(ITaskStore store, TimeProvider time)
{
    private readonly Lock _gate = new();
    private Task<Counted>? _counting;

    private sealed record Counted(IReadOnlyList<BatchRecord> Batches, long At, TimeSpan Cost);

    public async Task<IReadOnlyList<BatchRecord>> GetAsync(CancellationToken cancellationToken)
    {
        Task<Counted> counting;
        lock (_gate)
        {
            if (_counting is not { } last || last.IsFaulted || last.IsCanceled
                || (last.IsCompletedSuccessfully && time.GetElapsedTime(last.Result.At) > CostlyReads.Spacing(last.Result.Cost)))
                _counting = CountAsync();
            counting = _counting;
        }
        return (await counting.WaitAsync(cancellationToken)).Batches;
    }

    // Not the caller's token: others may be waiting for this count too.
    private async Task<Counted> CountAsync()
    {
        var began = time.GetTimestamp();
        var batches = await store.ListBatchesAsync(CancellationToken.None);
        var now = time.GetTimestamp();
        return new Counted(batches, now, time.GetElapsedTime(began, now));
    }
}
