using Drover.Model;

namespace Drover.Client;

/// <summary>
/// The latest known state of a set of followed tasks, built from a first read and then the event
/// stream (apply in the order received: each record is newer than what it replaces), summarised
/// per batch.
/// </summary>
public sealed class TaskBoard
{
    private readonly Dictionary<Guid, TaskRecord> _tasks = [];

    public int Count => _tasks.Count;

    public void Apply(IEnumerable<TaskRecord> tasks)
    {
        foreach (var task in tasks) _tasks[task.Id] = task;
    }

    public void Clear() => _tasks.Clear();

    /// <summary>True when there are tasks and every one has ended.</summary>
    public bool AllEnded => _tasks.Count > 0 && _tasks.Values.All(t => TaskStateRules.IsEnded(t.Status));

    public bool AllSucceeded => _tasks.Values.All(t => t.Status == TaskState.Succeeded);

    public IReadOnlyList<BatchProgress> Batches =>
        [.. _tasks.Values.GroupBy(t => t.Batch).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => new BatchProgress(
            g.Key,
            Succeeded: g.Count(t => t.Status == TaskState.Succeeded),
            Failed: g.Count(t => t.Status is TaskState.Failed or TaskState.Canceled),
            Running: g.Count(t => t.Status is TaskState.Assigned or TaskState.Running or TaskState.Paused),
            Queued: g.Count(t => t.Status is TaskState.Pending or TaskState.Queued)))];

    /// <summary>Tasks on a worker now, longest running first.</summary>
    public IReadOnlyList<TaskRecord> Running =>
        [.. _tasks.Values.Where(t => t.Status is TaskState.Assigned or TaskState.Running or TaskState.Paused).OrderBy(t => t.Started ?? t.Assigned).ThenBy(t => t.Seq)];
}

/// <summary>One batch's tasks by where they are: ended well, ended badly (failed or canceled), on a worker, waiting.</summary>
public sealed record BatchProgress(string Batch, int Succeeded, int Failed, int Running, int Queued)
{
    public int Total => Succeeded + Failed + Running + Queued;
    public double Fraction => Total == 0 ? 0 : (double)(Succeeded + Failed) / Total;
}
