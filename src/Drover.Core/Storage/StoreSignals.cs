using Drover.Model;

namespace Drover.Storage;

/// <summary>
/// What a store announces after each commit, so that long-polls wake at once instead of polling:
/// tasks became ready (a lease may now succeed) and tasks ended (a wait may now answer).
/// </summary>
public sealed class StoreSignals
{
    private readonly Lock _gate = new();
    private readonly Dictionary<Guid, TaskCompletionSource<TaskRecord?>> _endWaiters = [];

    private readonly Dictionary<Guid, AsyncSignal> _workerSignals = [];

    // Workers known to have no signals or settings waiting: their exchanges skip asking the store.
    private readonly HashSet<Guid> _quiet = [];

    public AsyncSignal TasksReady { get; } = new();

    /// <summary>Pulsed after a commit when a task began waiting for its run_after (its time may be the earliest now).</summary>
    public AsyncSignal Delayed { get; } = new();

    /// <summary>
    /// After a commit that leaves a signal or new settings for the worker: its next exchange asks the
    /// store for them, and a waiting long-poll answers at once.
    /// </summary>
    public void SignalWorker(Guid workerId)
    {
        lock (_gate) _quiet.Remove(workerId);
        WorkerSignal(workerId).Pulse();
    }

    /// <summary>Some notices may have been missed (another server's, while not listening): every worker asks again.</summary>
    public void SignalAllWorkers()
    {
        lock (_gate) _quiet.Clear();
    }

    /// <summary>
    /// Whether the worker's exchange should ask the store for signals and settings: true until it has
    /// asked once with nothing signaled since (so after a start, whatever the store holds is found).
    /// It is marked quiet before it asks, so a signal arriving meanwhile is asked for next time.
    /// </summary>
    public bool ClaimWorkerInstructions(Guid workerId)
    {
        lock (_gate) return _quiet.Add(workerId);
    }

    /// <summary>Raised when a signal waits for one of the worker's executions: its long-poll answers at once.</summary>
    public AsyncSignal WorkerSignal(Guid workerId)
    {
        lock (_gate)
        {
            if (!_workerSignals.TryGetValue(workerId, out var signal)) _workerSignals[workerId] = signal = new AsyncSignal();
            return signal;
        }
    }

    /// <summary>
    /// Completes when the task ends, with its record as a wait answers it (no large fields), or with
    /// null when the end was learned another way (<see cref="Ended(IEnumerable{Guid})"/>). Register
    /// before reading the task's state, so that an end committed in between is not missed.
    /// </summary>
    public Task<TaskRecord?> WhenEnded(Guid taskId)
    {
        lock (_gate)
        {
            if (!_endWaiters.TryGetValue(taskId, out var source))
                _endWaiters[taskId] = source = new TaskCompletionSource<TaskRecord?>(TaskCreationOptions.RunContinuationsAsynchronously);
            return source.Task;
        }
    }

    /// <summary>
    /// After a commit: these tasks ended, as committed; waiters get the records (as a wait answers them,
    /// without large fields) and need not read them back. Made here, for the tasks someone waits for:
    /// a copy per task ended was 1.3% of a server's CPU in a profile, for records nobody asked for.
    /// </summary>
    public void Ended(IReadOnlyCollection<TaskRecord> tasks)
    {
        // Every backend announces its ends here after the commit: counted once, by the server that committed them.
        Observability.TaskMetrics.Ended(tasks);
        List<(TaskCompletionSource<TaskRecord?> Source, TaskRecord Task)>? done = null;
        lock (_gate)
        {
            if (_endWaiters.Count == 0) return;
            foreach (var task in tasks)
            {
                if (_endWaiters.Remove(task.Id, out var source)) (done ??= []).Add((source, task));
            }
        }
        done?.ForEach(d => d.Source.TrySetResult(d.Task.WithoutLargeFields()));
    }

    /// <summary>Releases registrations for tasks found ended (or absent) by reading: they complete with null.</summary>
    public void Ended(IEnumerable<Guid> taskIds)
    {
        List<TaskCompletionSource<TaskRecord?>>? done = null;
        lock (_gate)
        {
            if (_endWaiters.Count == 0) return;
            foreach (var id in taskIds)
            {
                if (_endWaiters.Remove(id, out var source)) (done ??= []).Add(source);
            }
        }
        done?.ForEach(s => s.TrySetResult(null));
    }
}
