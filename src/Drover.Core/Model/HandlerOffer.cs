namespace Drover.Model;

/// <summary>A .NET handler the connected workers offer (<c>GET /api/handlers</c>): tasks naming it can run.</summary>
public sealed record HandlerOffer(string Name, IReadOnlyList<string> Workers)
{
    /// <summary>The handlers connected workers (running, paused or draining) offer, by name; not each worker's own admin handler or its container capability.</summary>
    public static List<HandlerOffer> Of(IEnumerable<WorkerRecord> workers) =>
        [.. workers.Where(w => w.Status.IsConnected())
            .SelectMany(w => (w.Handlers ?? []).Where(h => !Contracts.ContainerTasks.IsInternal(h)).Select(h => (Handler: h, w.Name)))
            .GroupBy(p => p.Handler, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new HandlerOffer(g.Key, [.. g.Select(p => p.Name).Order(StringComparer.Ordinal)]))];
}
