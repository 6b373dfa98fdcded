using Drover.Model;

namespace Drover.Storage;

public static class BatchRecords
{
    /// <summary>Batch records from the rows SQL stores read: counts per (batch, state), paused batches, (batch, worker) pairs.</summary>
    public static IReadOnlyList<BatchRecord> From(
        IEnumerable<(string Batch, string Status, long Count)> counts, IReadOnlySet<string> paused, IEnumerable<(string Batch, Guid Worker)> serving)
    {
        var workers = serving.GroupBy(s => s.Batch, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Select(s => s.Worker).Distinct().ToList(), StringComparer.Ordinal);
        return [.. counts.GroupBy(c => c.Batch, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => new BatchRecord
        {
            Name = g.Key,
            Paused = paused.Contains(g.Key),
            Counts = g.ToDictionary(c => c.Status, c => c.Count),
            Workers = workers.GetValueOrDefault(g.Key) ?? [],
        })];
    }
}
