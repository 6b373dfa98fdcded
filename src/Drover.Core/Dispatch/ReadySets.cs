namespace Drover.Dispatch;

/// <summary>
/// Ready tasks in dispatch order, kept apart by the handler they name (commands under ""), so that a
/// worker takes the first of only the sets it can run: a task waiting for a handler no worker offers
/// costs the others nothing.
/// </summary>
internal sealed class ReadySets
{
    public const string Commands = "";
    private readonly Dictionary<string, ReadyQueue> _byHandler = new(StringComparer.Ordinal);

    public int Count { get; private set; }

    public void Add(string handler, ReadyOrder order)
    {
        if (!_byHandler.TryGetValue(handler, out var set)) _byHandler[handler] = set = new();
        if (set.Add(order)) Count++;
    }

    public void Remove(string handler, ReadyOrder order)
    {
        if (!_byHandler.TryGetValue(handler, out var set) || !set.Remove(order)) return;
        Count--;
        if (set.Count == 0) _byHandler.Remove(handler);
    }

    public void AddAll(ReadySets other)
    {
        foreach (var (handler, set) in other._byHandler)
            foreach (var order in set.Orders) Add(handler, order);
    }

    public void RemoveAll(ReadySets other)
    {
        foreach (var (handler, set) in other._byHandler)
            foreach (var order in set.Orders) Remove(handler, order);
    }

    /// <summary>The first ready task among commands and the given handlers, with the handler it is kept under.</summary>
    public (string Handler, ReadyOrder Order)? First(IReadOnlySet<string> handlers)
    {
        (string, ReadyOrder)? first = null;
        foreach (var (handler, set) in _byHandler)
        {
            if (handler != Commands && !handlers.Contains(handler)) continue;
            if (set.TryPeek(out var min) && (first is null || min.CompareTo(first.Value.Item2) < 0)) first = (handler, min);
        }
        return first;
    }

    /// <summary>Handlers named by ready tasks, with how many wait for each.</summary>
    public IEnumerable<(string Handler, int Count)> Waiting => _byHandler.Where(h => h.Key != Commands).Select(h => (h.Key, h.Value.Count));
}
