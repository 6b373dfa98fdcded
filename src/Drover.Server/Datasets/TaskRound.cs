using System.Threading.Channels;
using Drover.Model;
using Drover.Server.Dispatch;
using Drover.Storage;

namespace Drover.Server.Datasets;

/// <summary>
/// Tasks that the server gives to chosen workers and waits for (the shard queries of a group-by, the
/// downloads and switches of a distribution): their ends arrive as they come, woken by the store's
/// end signals; what a worker the store has declared lost still holds can be found and given up.
/// </summary>
internal sealed class TaskRound(ITaskStore store, TaskWaiter waiter)
{
    private readonly Channel<(Guid TaskId, TaskRecord? Task)> _ends = Channel.CreateUnbounded<(Guid, TaskRecord?)>();
    private readonly Dictionary<Guid, Guid> _pending = [];

    /// <summary>The tasks not ended yet (or not yet seen to end), and the worker each is for.</summary>
    public IReadOnlyDictionary<Guid, Guid> Pending => _pending;

    public async Task StartAsync(IReadOnlyList<(TaskDefinition Task, Guid Worker)> tasks)
    {
        if (tasks.Count == 0) return;
        // Registered before the tasks exist, so no end is missed.
        var registrations = waiter.Register(tasks.Select(t => t.Task.Id));
        foreach (var (task, worker) in tasks) _pending[task.Id] = worker;
        var created = await store.CreateAsync([.. tasks.Select(t => t.Task)], CancellationToken.None);
        waiter.Created(created.Select(c => c.Task));
        foreach (var (id, end) in registrations)
        {
            _ = end.ContinueWith(t => _ends.Writer.TryWrite((id, t.Result)), CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously | TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
        }
    }

    /// <summary>
    /// The next task of this round to end, with its whole record (result and error included); null
    /// when none ended within <paramref name="look"/>, so that the caller can look for lost workers.
    /// </summary>
    public async Task<(Guid TaskId, TaskRecord? Task)?> NextAsync(TimeSpan look, TimeProvider time, CancellationToken cancellationToken)
    {
        while (true)
        {
            if (_ends.Reader.TryRead(out var end))
            {
                if (!_pending.Remove(end.TaskId)) continue;
                // The end carries the record without its large fields (or, from another server, none).
                return (end.TaskId, await store.GetTaskAsync(end.TaskId, CancellationToken.None) ?? end.Task);
            }
            try
            {
                await _ends.Reader.WaitToReadAsync(cancellationToken).AsTask().WaitAsync(look, time, cancellationToken);
            }
            catch (TimeoutException)
            {
                return null;
            }
        }
    }

    /// <summary>The pending tasks whose worker no longer takes work (lost, stopped, gone); they are no longer pending, and are canceled.</summary>
    public async Task<List<(Guid TaskId, Guid Worker)>> GiveUpLostAsync(Func<WorkerRecord, bool> serves, string reason)
    {
        var lost = new List<(Guid, Guid)>();
        foreach (var worker in _pending.Values.Distinct().ToList())
        {
            var record = await store.GetWorkerAsync(worker, CancellationToken.None);
            if (record is not null && serves(record)) continue;
            foreach (var id in _pending.Where(p => p.Value == worker).Select(p => p.Key).ToList())
            {
                _pending.Remove(id);
                lost.Add((id, worker));
                await CancelAsync(id, reason);
            }
        }
        return lost;
    }

    /// <summary>Cancels every pending task: what the round was for has ended.</summary>
    public async Task CancelPendingAsync(string reason)
    {
        foreach (var id in _pending.Keys.ToList())
        {
            _pending.Remove(id);
            await CancelAsync(id, reason);
        }
    }

    private async Task CancelAsync(Guid id, string reason)
    {
        try
        {
            await store.CancelAsync(id, reason, CancellationToken.None);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Best effort: a task left behind waits for a worker that no longer offers its handler, and harms nothing.
        }
    }

    /// <summary>A holder's loss shows in the store only when its lease expires: look that often, not more.</summary>
    public static TimeSpan LookInterval(StoreOptions options) =>
        TimeSpan.FromTicks(Math.Max(options.LeaseTimeout.Ticks / 2, TimeSpan.FromMilliseconds(100).Ticks));

    /// <summary>The first line of a task's error, or why it ended as it did.</summary>
    public static string Why(TaskRecord? task) => task switch
    {
        null => "the task vanished",
        { Error: { Length: > 0 } error } => error.Split('\n', 2)[0].Trim(),
        { Reason: { Length: > 0 } reason } => reason,
        _ => $"the task ended {Json.Enums.Name(task.Status)}",
    };
}
