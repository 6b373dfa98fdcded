using Drover.Model;

namespace Drover.Storage;

/// <summary>
/// Every committed change of a task, for whoever follows them live (<c>GET /api/events</c>). Stores
/// publish after each commit; each subscription filters and keeps a bounded, coalescing queue, so a
/// slow subscriber costs memory proportional to its queue, never to the traffic. With no
/// subscriber, publishing costs one check.
/// </summary>
public sealed class TaskEvents
{
    private readonly Lock _gate = new();
    private SubscriptionIndex _index = SubscriptionIndex.Empty;

    public bool HasSubscribers => Volatile.Read(ref _index).All.Length > 0;

    public TaskSubscription Subscribe(int capacity)
    {
        var subscription = new TaskSubscription(this, capacity);
        lock (_gate) _index = new SubscriptionIndex([.. _index.All, subscription]);
        return subscription;
    }

    internal void Unsubscribe(TaskSubscription subscription)
    {
        lock (_gate) _index = new SubscriptionIndex([.. _index.All.Where(s => s != subscription)]);
    }

    /// <summary>A follower changed what it follows.</summary>
    internal void Reindex()
    {
        lock (_gate) _index = new SubscriptionIndex(_index.All);
    }

    /// <param name="created">True for tasks just created: subscribers get them as <c>add</c>.</param>
    public void Publish(IReadOnlyCollection<TaskRecord> tasks, bool created = false)
    {
        var index = Volatile.Read(ref _index);
        if (index.All.Length == 0 || tasks.Count == 0) return;
        foreach (var (subscription, followed) in index.Route(tasks)) subscription.Offer(followed, created);
    }

    /// <summary>Tells every follower to re-read: changes may have been missed (another server's, while the database was away).</summary>
    public void ResyncAll()
    {
        foreach (var subscription in Volatile.Read(ref _index).All) subscription.Resync();
    }

    /// <summary>New output of running tasks, for the followers that follow those tasks by id.</summary>
    public void PublishOutput(IReadOnlyCollection<TaskOutputChunk> chunks)
    {
        var index = Volatile.Read(ref _index);
        if (index.All.Length == 0 || chunks.Count == 0) return;
        foreach (var chunk in chunks)
            foreach (var subscription in index.ByTask(chunk.Task)) subscription.OfferOutput([chunk]);
    }
}

/// <summary>
/// One follower: what it follows (everything, groups, batches, task ids), and the changes waiting
/// to be sent — the latest state of each task, in the order they first changed. Past its capacity
/// it drops them all and asks the follower to re-read (<see cref="Take"/>'s resync). Output goes
/// only to followers that follow the task by id (a group's output could be a flood); past
/// <see cref="OutputCapacity"/> characters the oldest waiting output is dropped and the next chunk
/// says so.
/// </summary>
public sealed class TaskSubscription : IDisposable
{
    private readonly TaskEvents _events;
    private readonly int _capacity;
    private readonly Lock _gate = new();
    private readonly Dictionary<Guid, (TaskRecord Task, bool Created)> _pending = [];
    private readonly List<Guid> _order = [];
    private readonly Queue<TaskOutputChunk> _output = new();
    private int _outputLength;
    private bool _outputSkipped;
    private readonly HashSet<string> _groups = new(StringComparer.Ordinal);
    private readonly HashSet<string> _batches = new(StringComparer.Ordinal);
    private readonly HashSet<Guid> _tasks = [];
    private readonly HashSet<Guid> _ignored = [];
    private bool _everything;
    private bool _overflowed;

    public const int OutputCapacity = 1024 * 1024;

    internal TaskSubscription(TaskEvents events, int capacity)
    {
        _events = events;
        _capacity = capacity;
    }

    /// <summary>
    /// The tasks this follower may see at all (a scoped token's), whatever it follows; null for all.
    /// Set before it follows anything.
    /// </summary>
    public Func<TaskRecord, bool>? Visible { get; set; }

    /// <summary>Pulsed when changes wait.</summary>
    public AsyncSignal Changed { get; } = new();

    public void Follow(bool everything, IEnumerable<string> groups, IEnumerable<string> batches, IEnumerable<Guid> tasks)
    {
        lock (_gate)
        {
            _everything |= everything;
            _groups.UnionWith(groups);
            _batches.UnionWith(batches);
            _tasks.UnionWith(tasks);
        }
        _events.Reindex();
    }

    /// <summary>What it follows, for the index.</summary>
    internal (bool Everything, string[] Groups, string[] Batches, Guid[] Tasks) Following()
    {
        lock (_gate) return (_everything, [.. _groups], [.. _batches], [.. _tasks]);
    }

    /// <summary>Stops following these tasks (followed by id, or through their group or batch), and drops what waits for them.</summary>
    public void Unfollow(IEnumerable<Guid> tasks)
    {
        lock (_gate)
        {
            foreach (var id in tasks)
            {
                _tasks.Remove(id);
                _ignored.Add(id);
                if (_pending.Remove(id)) _order.Remove(id);
            }
        }
        _events.Reindex();
    }

    internal void Offer(IReadOnlyCollection<TaskRecord> tasks, bool created)
    {
        var offered = false;
        lock (_gate)
        {
            foreach (var task in tasks)
            {
                if (!Follows(task)) continue;
                offered = true;
                if (_overflowed) continue;
                if (_pending.TryGetValue(task.Id, out var waiting))
                {
                    _pending[task.Id] = (task, waiting.Created || created);
                    continue;
                }
                if (_pending.Count >= _capacity)
                {
                    // Too slow a follower: forget what waits and tell it to re-read instead.
                    _overflowed = true;
                    Observability.TaskMetrics.Dropped(_pending.Count + 1);
                    _pending.Clear();
                    _order.Clear();
                    continue;
                }
                _pending[task.Id] = (task, created);
                _order.Add(task.Id);
            }
        }
        if (offered) Changed.Pulse();
    }

    internal void Resync()
    {
        lock (_gate)
        {
            _overflowed = true;
            _pending.Clear();
            _order.Clear();
        }
        Changed.Pulse();
    }

    internal void OfferOutput(IReadOnlyCollection<TaskOutputChunk> chunks)
    {
        var offered = false;
        lock (_gate)
        {
            foreach (var chunk in chunks)
            {
                if (!_tasks.Contains(chunk.Task)) continue;
                offered = true;
                _output.Enqueue(chunk);
                _outputLength += chunk.Length;
                while (_outputLength > OutputCapacity && _output.Count > 1)
                {
                    _outputLength -= _output.Dequeue().Length;
                    _outputSkipped = true;
                }
            }
        }
        if (offered) Changed.Pulse();
    }

    private bool Follows(TaskRecord task) =>
        !_ignored.Contains(task.Id) && (Visible is null || Visible(task)) &&
        (_everything || _tasks.Contains(task.Id) || (task.Group is { } g && _groups.Contains(g)) || _batches.Contains(task.Batch));

    /// <summary>What waits: new tasks, changed tasks (latest states), output, and whether the follower must re-read.</summary>
    /// <param name="max">At most this many tasks (the ones waiting longest); the rest keep waiting, still coalescing.</param>
    public TaskEventBatch Take(int max = int.MaxValue)
    {
        lock (_gate)
        {
            var added = new List<TaskRecord>();
            var updated = new List<TaskRecord>();
            var taken = Math.Min(max, _order.Count);
            for (var i = 0; i < taken; i++)
            {
                var (task, created) = _pending[_order[i]];
                _pending.Remove(_order[i]);
                (created ? added : updated).Add(task);
            }
            _order.RemoveRange(0, taken);
            var resync = _overflowed;
            _overflowed = false;
            var output = _output.ToList();
            // The oldest chunk that stayed tells the follower that text before it was dropped.
            if (_outputSkipped && output.Count > 0) output[0] = output[0] with { Skipped = true };
            _outputSkipped = false;
            _output.Clear();
            _outputLength = 0;
            return new TaskEventBatch(added, updated, output, resync);
        }
    }

    public void Dispose() => _events.Unsubscribe(this);
}
