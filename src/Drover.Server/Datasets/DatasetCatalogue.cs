using Drover.Contracts;
using Drover.Datasets;
using Drover.Model;

namespace Drover.Server.Datasets;

/// <summary>
/// Which worker holds which shard, as the workers announce it (when they register, when their data
/// directory changes, and when the server asks after a restart). Kept in memory: the workers are the
/// truth about their files, and a restarted server has it back within one heartbeat. Whether a
/// holder is alive is the task database's word (its worker record), so the catalogue never serves a
/// worker the store has declared lost.
/// </summary>
public sealed class DatasetCatalogue
{
    private readonly Lock _lock = new();
    private readonly Dictionary<Guid, ShardAnnouncement> _byWorker = [];
    /// <summary>The generation queries go to, per dataset, once a distribution has switched one; else the newest announced.</summary>
    private readonly Dictionary<string, long> _routed = new(StringComparer.Ordinal);

    public void Announce(Guid workerId, ShardAnnouncement announcement)
    {
        lock (_lock) _byWorker[workerId] = announcement;
    }

    public void Forget(Guid workerId)
    {
        lock (_lock) _byWorker.Remove(workerId);
    }

    /// <summary>Whether the worker announced since this server started (a worker that holds nothing announces an empty list, or nothing).</summary>
    public bool Knows(Guid workerId)
    {
        lock (_lock) return _byWorker.ContainsKey(workerId);
    }

    /// <summary>The handler that a worker's shard queries go to; null when it serves no data.</summary>
    public string? HandlerOf(Guid workerId)
    {
        lock (_lock) return _byWorker.TryGetValue(workerId, out var a) && a.Handler.Length > 0 ? a.Handler : null;
    }

    /// <summary>From now on, queries of the dataset go to this generation (a distribution switched every holder).</summary>
    public void Route(string dataset, long generation)
    {
        lock (_lock) _routed[dataset] = generation;
    }

    /// <summary>Every dataset that connected workers hold.</summary>
    public IReadOnlyList<DatasetRecord> Datasets(IEnumerable<WorkerRecord> workers)
    {
        var connected = Connected(workers);
        lock (_lock)
        {
            return [.. Holdings(connected).GroupBy(h => h.Shard.Dataset, StringComparer.Ordinal)
                .OrderBy(g => g.Key, StringComparer.Ordinal)
                .Select(g => Record(g.Key, [.. g]))
                .OfType<DatasetRecord>()];
        }
    }

    /// <summary>One dataset as connected workers hold it; null when none does.</summary>
    public DatasetRecord? Dataset(string name, IEnumerable<WorkerRecord> workers)
    {
        var connected = Connected(workers);
        lock (_lock) return Record(name, [.. Holdings(connected).Where(h => h.Shard.Dataset == name)]);
    }

    /// <summary>The newest generation of the dataset that any connected worker holds, served or not; null when none holds it.</summary>
    public long? NewestGeneration(string name, IEnumerable<WorkerRecord> workers)
    {
        var connected = Connected(workers);
        lock (_lock) return Holdings(connected).Where(h => h.Shard.Dataset == name).Select(h => (long?)h.Shard.Generation).Max();
    }

    /// <summary>The workers that serve data (have a data directory) and take work now, with their shard handlers, in id order.</summary>
    public IReadOnlyList<(Guid Worker, string Handler)> DataWorkers(IEnumerable<WorkerRecord> workers)
    {
        var running = workers.Where(w => w.Status == WorkerState.Running).Select(w => w.Id).ToHashSet();
        lock (_lock)
        {
            return [.. _byWorker.Where(p => running.Contains(p.Key) && p.Value.Handler.Length > 0)
                .OrderBy(p => p.Key).Select(p => (p.Key, p.Value.Handler))];
        }
    }

    private static HashSet<Guid> Connected(IEnumerable<WorkerRecord> workers) =>
        [.. workers.Where(w => w.Status.IsConnected()).Select(w => w.Id)];

    private IEnumerable<(Guid Worker, ShardInfo Shard)> Holdings(HashSet<Guid> connected) =>
        _byWorker.Where(p => connected.Contains(p.Key)).SelectMany(p => p.Value.Shards.Select(s => (p.Key, s)));

    /// <summary>
    /// The dataset at the generation queries go to: each shard with the workers that hold that very
    /// file (the checksum most of them announce, should two holders disagree), its schema that of its
    /// first shard.
    /// </summary>
    private DatasetRecord? Record(string name, List<(Guid Worker, ShardInfo Shard)> holdings)
    {
        if (holdings.Count == 0) return null;
        var generation = _routed.TryGetValue(name, out var routed) && holdings.Any(h => h.Shard.Generation == routed)
            ? routed
            : holdings.Max(h => h.Shard.Generation);
        var shards = holdings.Where(h => h.Shard.Generation == generation)
            .GroupBy(h => h.Shard.Shard, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => g.GroupBy(h => h.Shard.Checksum, StringComparer.Ordinal)
                .OrderByDescending(c => c.Count()).ThenBy(c => c.Key, StringComparer.Ordinal).First().ToList())
            .ToList();
        var first = shards[0][0].Shard;
        return new DatasetRecord
        {
            Name = name,
            Generation = generation,
            Rows = shards.Sum(s => s[0].Shard.Rows),
            Bytes = shards.Sum(s => s[0].Shard.Bytes),
            Schema = first.Schema,
            Shards = [.. shards.Select(s => new DatasetShard
            {
                Shard = s[0].Shard.Shard,
                Generation = generation,
                Rows = s[0].Shard.Rows,
                Bytes = s[0].Shard.Bytes,
                Checksum = s[0].Shard.Checksum,
                Workers = [.. s.Select(h => h.Worker).Order()],
            })],
        };
    }

    /// <summary>What a worker may announce: checked names, at most this many shards.</summary>
    public const int MaxShardsPerWorker = 100_000;

    public static void Check(ShardAnnouncement announcement, Validation.FieldErrors errors, string prefix)
    {
        if (!ShardHandlers.IsShardHandler(announcement.Handler) || announcement.Handler.Length > 200)
            errors.Add(prefix + "handler", $"must start with {ShardHandlers.Prefix}");
        if (announcement.Shards is null)
        {
            errors.Add(prefix + "shards", "must be an array (empty for none)");
            return;
        }
        if (announcement.Shards.Count > MaxShardsPerWorker) errors.Add(prefix + "shards", $"must hold at most {MaxShardsPerWorker} shards");
        for (var i = 0; i < announcement.Shards.Count && errors.Count < 10; i++)
        {
            var shard = announcement.Shards[i];
            var at = $"{prefix}shards[{i}].";
            if (shard is null) errors.Add($"{prefix}shards[{i}]", "must be a shard object");
            else if (!DatasetNames.IsValid(shard.Dataset)) errors.Add(at + "dataset", DatasetNames.Rule);
            else if (!DatasetNames.IsValid(shard.Shard)) errors.Add(at + "shard", DatasetNames.Rule);
            else if (shard.Generation < 1) errors.Add(at + "generation", "must be at least 1");
            else if (shard.Rows < 0 || shard.Bytes < 0) errors.Add(at + "rows", "rows and bytes must not be negative");
            else if (shard.Schema is null || shard.Schema.Count == 0) errors.Add(at + "schema", "must list the shard's columns");
        }
    }
}
