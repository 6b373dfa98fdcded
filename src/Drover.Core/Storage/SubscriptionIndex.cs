using Drover.Model;

namespace Drover.Storage;

/// <summary>
/// Who follows what, built again whenever a follower subscribes or changes what it follows (rare),
/// so that publishing a change reaches only the followers of its task, group or batch (often) instead
/// of asking every follower.
/// </summary>
internal sealed class SubscriptionIndex
{
    public static readonly SubscriptionIndex Empty = new([]);

    private readonly TaskSubscription[] _everything;
    private readonly Dictionary<string, List<TaskSubscription>> _groups = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<TaskSubscription>> _batches = new(StringComparer.Ordinal);
    private readonly Dictionary<Guid, List<TaskSubscription>> _tasks = [];

    public SubscriptionIndex(TaskSubscription[] subscriptions)
    {
        All = subscriptions;
        var everything = new List<TaskSubscription>();
        foreach (var subscription in subscriptions)
        {
            var (all, groups, batches, tasks) = subscription.Following();
            if (all) everything.Add(subscription);
            foreach (var group in groups) Add(_groups, group, subscription);
            foreach (var batch in batches) Add(_batches, batch, subscription);
            foreach (var task in tasks) Add(_tasks, task, subscription);
        }
        _everything = [.. everything];
    }

    public TaskSubscription[] All { get; }

    private static void Add<TKey>(Dictionary<TKey, List<TaskSubscription>> index, TKey key, TaskSubscription subscription) where TKey : notnull
    {
        if (!index.TryGetValue(key, out var list)) index[key] = list = [];
        list.Add(subscription);
    }

    /// <summary>The tasks each follower follows, by id, group, batch or everything.</summary>
    public Dictionary<TaskSubscription, List<TaskRecord>> Route(IReadOnlyCollection<TaskRecord> tasks)
    {
        var routed = new Dictionary<TaskSubscription, List<TaskRecord>>();
        foreach (var subscription in _everything) routed[subscription] = tasks as List<TaskRecord> ?? [.. tasks];
        if (_groups.Count == 0 && _batches.Count == 0 && _tasks.Count == 0) return routed;
        foreach (var task in tasks)
        {
            if (_tasks.TryGetValue(task.Id, out var byTask)) Route(routed, byTask, task);
            if (task.Group is { } group && _groups.TryGetValue(group, out var byGroup)) Route(routed, byGroup, task);
            if (_batches.TryGetValue(task.Batch, out var byBatch)) Route(routed, byBatch, task);
        }
        return routed;
    }

    private void Route(Dictionary<TaskSubscription, List<TaskRecord>> routed, List<TaskSubscription> followers, TaskRecord task)
    {
        foreach (var subscription in followers)
        {
            if (Array.IndexOf(_everything, subscription) >= 0) continue; // has them all already
            if (!routed.TryGetValue(subscription, out var list)) routed[subscription] = list = [];
            // A follower of both the task's group and its batch gets it once (its queue would coalesce it anyway).
            if (list.Count == 0 || list[^1] != task) list.Add(task);
        }
    }

    /// <summary>The followers of a task by id: the only ones that get its output.</summary>
    public IReadOnlyList<TaskSubscription> ByTask(Guid task) => _tasks.TryGetValue(task, out var list) ? list : [];
}
