namespace Drover.Dispatch;

/// <summary>
/// Ready tasks of one handler in dispatch order: a binary heap of their orders, and the tasks that
/// are in it for real. A removal only forgets the task; its heap entry is dropped when it comes to
/// the top (or when stale entries outnumber live ones, by rebuilding the heap from the live ones).
/// </summary>
/// <remarks>
/// Replaces a red-black tree (SortedSet), which allocated a node per task and rebalanced at every
/// add and removal. Here the common path costs little: a new task has the highest seq of its
/// priority, so it stays where the heap puts it (at the bottom), and a lease takes the top.
/// </remarks>
internal sealed class ReadyQueue
{
    private readonly PriorityQueue<ReadyOrder, ReadyOrder> _heap = new();
    private readonly Dictionary<Guid, ReadyOrder> _live = [];

    public int Count => _live.Count;

    /// <summary>Heap entries, stale ones included (what the rebuild bounds).</summary>
    internal int Entries => _heap.Count;

    /// <summary>The tasks in no particular order.</summary>
    public IEnumerable<ReadyOrder> Orders => _live.Values;

    /// <returns>False when the task is in the queue already.</returns>
    public bool Add(ReadyOrder order)
    {
        if (!_live.TryAdd(order.Id, order)) return false;
        _heap.Enqueue(order, order);
        return true;
    }

    /// <returns>False when the task is not in the queue with this order.</returns>
    public bool Remove(ReadyOrder order)
    {
        // One lookup: taken out, and put back in the rare case that it is there with another order.
        if (!_live.Remove(order.Id, out var kept)) return false;
        if (kept != order)
        {
            _live.Add(order.Id, kept);
            return false;
        }
        // Entries of tasks gone sink to the top as leases take what is above them; tasks that are
        // never leased (a paused batch's, in the overall queue) would pile up, so past twice the
        // live ones the heap is made again of the live ones alone.
        if (_heap.Count > 2 * _live.Count + 64)
        {
            _heap.Clear();
            foreach (var live in _live.Values) _heap.Enqueue(live, live);
        }
        return true;
    }

    /// <summary>The first task in dispatch order, if any.</summary>
    public bool TryPeek(out ReadyOrder first)
    {
        while (_heap.TryPeek(out first, out _))
        {
            // A removed task's entry (or an older entry of a task removed and added again, which the
            // newer one stands for) is dropped here.
            if (_live.TryGetValue(first.Id, out var kept) && kept == first) return true;
            _heap.Dequeue();
        }
        return false;
    }
}
