using System.Text.Json;
using Drover.Contracts;
using Drover.Validation;

namespace Drover.Server.Datasets;

/// <summary>
/// Which workers a distribution goes to, as <c>workers</c> says: <c>"all"</c> (the default: every
/// worker with a data directory that takes work now, each getting every file), an array of worker ids
/// (each getting every file), or <c>{"replicas": k}</c> (each file on k of them, spread by bytes).
/// Workers that serve the same data directory count as one target.
/// </summary>
internal sealed record TicketTargets(IReadOnlyList<Guid>? Ids, int? Replicas)
{
    public static readonly TicketTargets All = new(null, null);

    /// <summary>The targets <c>workers</c> asks for, against the data workers there are; null with the errors named when it cannot be done.</summary>
    public static TicketTargets? Read(JsonElement? workers, IReadOnlyList<(Guid Worker, string Handler)> dataWorkers, FieldErrors errors)
    {
        if (dataWorkers.Count == 0)
        {
            errors.Add("workers", "no connected worker serves data now (start workers with --data-dir)");
            return null;
        }
        if (workers is not { ValueKind: not JsonValueKind.Null } spec) return All;
        switch (spec.ValueKind)
        {
            case JsonValueKind.String when spec.GetString() == "all":
                return All;
            case JsonValueKind.Array:
                var ids = new List<Guid>();
                var index = 0;
                foreach (var item in spec.EnumerateArray())
                {
                    if (item.ValueKind != JsonValueKind.String || !Guid.TryParse(item.GetString(), out var id)) errors.Add($"workers[{index}]", "must be a worker id");
                    else if (!dataWorkers.Any(w => w.Worker == id)) errors.Add($"workers[{index}]", $"worker {id} is not a connected worker with a data directory that takes work now");
                    else if (ids.Contains(id)) errors.Add($"workers[{index}]", "names a worker twice");
                    else ids.Add(id);
                    index++;
                }
                if (index == 0) errors.Add("workers", "must name at least one worker");
                return errors.IsEmpty ? new TicketTargets(ids, null) : null;
            case JsonValueKind.Object:
                if (!spec.TryGetProperty("replicas", out var replicas) || replicas.ValueKind != JsonValueKind.Number || !replicas.TryGetInt32(out var k) || k < 1)
                {
                    errors.Add("workers.replicas", "must be a whole number of at least 1");
                    return null;
                }
                var nodes = dataWorkers.DistinctBy(w => w.Handler).Count();
                if (k > nodes)
                {
                    errors.Add("workers.replicas", $"asks for {k} copies of each file, but the workers serve {nodes} distinct data directories now");
                    return null;
                }
                return new TicketTargets(null, k);
            default:
                errors.Add("workers", "must be \"all\", an array of worker ids, or {\"replicas\": k}");
                return null;
        }
    }

    /// <summary>Each target with its files. With replicas, each file goes to the k workers with the fewest bytes so far.</summary>
    public List<Ticket.Node> Assign(IReadOnlyList<(Guid Worker, string Handler)> dataWorkers, IReadOnlyList<StageFile> files)
    {
        // Workers that serve one data directory (one handler) share its files: it is staged into once.
        var targets = (Ids is { } ids ? dataWorkers.Where(w => ids.Contains(w.Worker)) : dataWorkers).DistinctBy(w => w.Handler).ToList();
        if (Replicas is not { } k) return [.. targets.Select(w => new Ticket.Node(w.Worker, w.Handler, files))];
        var given = targets.ToDictionary(w => w.Worker, _ => new List<StageFile>());
        var bytes = targets.ToDictionary(w => w.Worker, _ => 0L);
        foreach (var file in files.OrderByDescending(f => f.Bytes ?? 0).ThenBy(f => f.Shard, StringComparer.Ordinal))
        {
            foreach (var (worker, _) in targets.OrderBy(w => bytes[w.Worker]).ThenBy(w => given[w.Worker].Count).Take(k).ToList())
            {
                given[worker].Add(file);
                bytes[worker] += file.Bytes ?? 1;
            }
        }
        return [.. targets.Where(w => given[w.Worker].Count > 0)
            .Select(w => new Ticket.Node(w.Worker, w.Handler, [.. given[w.Worker].OrderBy(f => f.Shard, StringComparer.Ordinal)]))];
    }
}
