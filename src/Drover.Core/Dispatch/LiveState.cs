using System.Runtime.InteropServices;
using Drover.Contracts;
using Drover.Model;
using Drover.Storage;
using Drover.Validation;

namespace Drover.Dispatch;

/// <summary>
/// The dispatch state every store keeps in memory: the tasks that have not ended, their open
/// executions, the ready set in dispatch order (overall and per batch), and each worker's leases.
/// Leasing and applying a worker's events are decided here, without a read of the database; a
/// store persists the transitions that come back. Not thread-safe: its owner serializes calls.
/// </summary>
public sealed class LiveState
{
    private readonly Dictionary<Guid, TaskRecord> _tasks = [];
    private readonly Dictionary<Guid, ExecutionRecord> _executions = [];
    private readonly ReadySets _ready = new();
    private readonly Dictionary<string, ReadySets> _readyByBatch = new(StringComparer.Ordinal);
    // Concurrent only so that LeaseFindsNothing may look a worker up from outside the owner's serialization.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<Guid, LiveWorker> _workers = new();

    // _ready's count, for LeaseFindsNothing's readers (written by the owner after each change of _ready).
    private int _readyCount;

    // Dependencies: what each pending task still waits for, and who waits for each requirement.
    private readonly Dictionary<Guid, HashSet<Guid>> _unmet = [];
    private readonly Dictionary<Guid, List<Guid>> _dependants = [];

    // Pending tasks whose requirements are met but whose run_after has not come, by that time.
    private readonly SortedSet<(DateTimeOffset At, Guid Id)> _delayed = [];
    private bool _delayedAdded;

    // Workers with signals waiting; its own lock, since it is asked on every exchange.
    private readonly HashSet<Guid> _signaled = [];

    // Batches whose tasks are not leased for now; their ready tasks stay in the batch's own set only.
    private readonly HashSet<string> _pausedBatches = new(StringComparer.Ordinal);

    // Kills for executions canceled while their workers held them (the tasks have left the live state).
    private readonly Dictionary<Guid, List<SignalCommand>> _kills = [];

    public int Count => _tasks.Count;

    public bool TryGetTask(Guid id, out TaskRecord task) => _tasks.TryGetValue(id, out task!);

    public LiveWorker? Worker(Guid id) => _workers.GetValueOrDefault(id);

    public void AddWorker(LiveWorker worker) => _workers[worker.Id] = worker;

    /// <summary>Forgets a worker that was purged (stopped or lost, holding nothing).</summary>
    public void RemoveWorker(Guid id) => _workers.TryRemove(id, out _);

    /// <summary>
    /// Adds a task that has not ended (a new one, or one read back at start), with its open execution
    /// if leased, or the requirements it still waits for if pending.
    /// </summary>
    public void Add(TaskRecord task, ExecutionRecord? openExecution = null, IReadOnlyCollection<Guid>? unmet = null)
    {
        _tasks[task.Id] = task;
        if (task.Status == TaskState.Queued) AddReady(task);
        if (task.Status == TaskState.Pending)
        {
            _unmet[task.Id] = [.. unmet ?? []];
            if (_unmet[task.Id].Count == 0 && task.RunAfter is { } at) Delay(at, task.Id);
            foreach (var requirement in _unmet[task.Id])
            {
                if (!_dependants.TryGetValue(requirement, out var list)) _dependants[requirement] = list = [];
                list.Add(task.Id);
            }
        }
        if (openExecution is null) return;
        _executions[openExecution.Id] = openExecution;
        _workers.GetValueOrDefault(openExecution.WorkerId)?.Held.Add(task.Id);
        if (Lifecycle.HasUndelivered(task)) lock (_signaled) _signaled.Add(openExecution.WorkerId);
    }

    /// <summary>Marks the worker seen in the given state. Throws <see cref="UnknownWorkerException"/>.</summary>
    public LiveWorker Touch(Guid workerId, WorkerState state, DateTimeOffset now)
    {
        var worker = _workers.GetValueOrDefault(workerId) ?? throw new UnknownWorkerException(workerId);
        worker.Status = state;
        worker.LastSeen = now;
        return worker;
    }

    /// <summary>
    /// True when a lease by this worker would find no task and need no write: nothing is ready for
    /// any worker, and the worker is known, running and was seen within the last second (so skipping
    /// its touch loses nothing). A "tasks ready" signal wakes every waiting worker and all but one
    /// find nothing; this answers them without a commit. Safe to call from any thread: a task made
    /// ready counts before its signal is raised, so a true answer is never stale for the signal that woke the caller.
    /// </summary>
    public bool LeaseFindsNothing(Guid workerId, DateTimeOffset now) =>
        Volatile.Read(ref _readyCount) == 0 && _workers.TryGetValue(workerId, out var worker)
        && worker.Status == WorkerState.Running && now - worker.LastSeen < TimeSpan.FromSeconds(1);

    /// <summary>Leases up to <paramref name="max"/> ready tasks to the worker: highest priority first, then oldest.</summary>
    public List<Transition> Lease(LiveWorker worker, int max, DateTimeOffset now, DateTimeOffset expires)
    {
        // Sized for what is ready (up to a push's usual size), rather than grown by doubling.
        var leases = new List<Transition>(Math.Min(Math.Min(max, _readyCount), 1024));
        if (worker.HoldsBack) return leases;
        var ready = worker.Batch is null ? _ready
            : _pausedBatches.Contains(worker.Batch) ? null
            : _readyByBatch.GetValueOrDefault(worker.Batch);
        while (leases.Count < max && ready?.First(worker.Handlers) is { } first)
        {
            var task = _tasks[first.Order.Id];
            RemoveReady(task);
            leases.Add(Save(Lifecycle.Lease(task, worker.Id, Ids.New(), now, expires)));
        }
        return leases;
    }

    /// <summary>Applies one event of the worker's; null when it is stale (not the task's current execution, or not this worker's).</summary>
    public Transition? Apply(Guid workerId, ReportEvent e, DateTimeOffset now, int outputLimitBytes)
    {
        if (!_executions.TryGetValue(e.ExecutionId, out var execution) || execution.WorkerId != workerId) return null;
        return Lifecycle.Apply(_tasks[execution.TaskId], execution, e, now, outputLimitBytes) is { } transition ? Save(transition) : null;
    }

    /// <summary>
    /// What the end of <paramref name="ended"/> does to the tasks that require it, and so on down the
    /// graph: those whose last requirement it was become queued; if it did not succeed they are
    /// canceled. Returns every task changed, in the order decided.
    /// </summary>
    public IReadOnlyList<TaskRecord> Settle(TaskRecord ended, DateTimeOffset now)
    {
        // Most tasks are required by none: asked at every end, answered without a list or a queue.
        if (!_dependants.ContainsKey(ended.Id)) return [];
        var changed = new List<TaskRecord>();
        var endings = new Queue<TaskRecord>([ended]);
        while (endings.TryDequeue(out var requirement))
        {
            if (!_dependants.Remove(requirement.Id, out var dependants)) continue;
            foreach (var id in dependants)
            {
                if (!_tasks.TryGetValue(id, out var task) || task.Status != TaskState.Pending) continue;
                var unmet = _unmet[id];
                unmet.Remove(requirement.Id);
                if (requirement.Status == TaskState.Succeeded)
                {
                    if (unmet.Count > 0) continue;
                    // Its requirements are met, its time is not: it waits for its run_after.
                    if (task.RunAfter is { } at && at > now)
                    {
                        Delay(at, id);
                        continue;
                    }
                    _unmet.Remove(id);
                    _tasks[id] = task = Dependencies.Ready(task);
                    AddReady(task);
                    changed.Add(task);
                }
                else
                {
                    task = Dependencies.CancelDependant(task, requirement.Id, requirement.Status, now);
                    ForgetPending(task);
                    changed.Add(task);
                    endings.Enqueue(task);
                }
            }
        }
        return changed;
    }

    /// <summary>
    /// Cancels a task that has not ended. A pending or queued one simply ends; a leased one ends with
    /// its execution, and its worker is handed a kill for it (see <see cref="TakeSignals"/>).
    /// Null when the task is not live here.
    /// </summary>
    public Transition? Cancel(Guid taskId, string reason, DateTimeOffset now, out TaskRecord? canceled)
    {
        canceled = null;
        if (!_tasks.TryGetValue(taskId, out var task)) return null;
        if (TaskStateRules.IsLeased(task.Status))
        {
            var transition = Save(Lifecycle.Cancel(task, _executions[task.ExecutionId!.Value], reason, now));
            var worker = transition.Execution.WorkerId;
            if (!_kills.TryGetValue(worker, out var kills)) _kills[worker] = kills = [];
            kills.Add(new SignalCommand(transition.Execution.Id, TaskSignal.Kill));
            lock (_signaled) _signaled.Add(worker);
            canceled = transition.Task;
            return transition;
        }
        if (task.Status == TaskState.Queued) RemoveReady(task);
        canceled = task with { Status = TaskState.Canceled, Reason = reason, Completed = now };
        ForgetPending(canceled);
        return null;
    }

    /// <summary>The earliest run_after of a pending task whose requirements are met; null when none waits for its time.</summary>
    public DateTimeOffset? NextRunAfter => _delayed.Count > 0 ? _delayed.Min.At : null;

    /// <summary>Whether a task began waiting for its run_after since the last call (a store then wakes whoever times them).</summary>
    public bool TakeDelayedAdded()
    {
        var added = _delayedAdded;
        _delayedAdded = false;
        return added;
    }

    /// <summary>The pending tasks whose run_after has come (and whose requirements are met): queued now, in the ready set. Returns them for the store to write.</summary>
    public List<TaskRecord> ReleaseDue(DateTimeOffset now)
    {
        var released = new List<TaskRecord>();
        while (_delayed.Count > 0 && _delayed.Min.At <= now)
        {
            var (_, id) = _delayed.Min;
            _delayed.Remove(_delayed.Min);
            if (!_tasks.TryGetValue(id, out var task) || task.Status != TaskState.Pending || !_unmet.TryGetValue(id, out var unmet) || unmet.Count > 0) continue;
            _unmet.Remove(id);
            _tasks[id] = task = Dependencies.Ready(task);
            AddReady(task);
            released.Add(task);
        }
        return released;
    }

    private void Delay(DateTimeOffset at, Guid id)
    {
        _delayed.Add((at, id));
        _delayedAdded = true;
    }

    private void ForgetPending(TaskRecord ended)
    {
        if (ended.RunAfter is { } at) _delayed.Remove((at, ended.Id));
        _tasks.Remove(ended.Id);
        if (_unmet.Remove(ended.Id, out var unmet))
        {
            foreach (var requirement in unmet)
            {
                if (_dependants.TryGetValue(requirement, out var list) && list.Remove(ended.Id) && list.Count == 0) _dependants.Remove(requirement);
            }
        }
    }

    /// <summary>
    /// A running task's status and progress; null when the task is not leased (or, with an execution
    /// id, when that is no longer its current execution).
    /// </summary>
    public TaskRecord? SetStatus(Guid taskId, Guid? executionId, StatusUpdate status)
    {
        if (!_tasks.TryGetValue(taskId, out var task) || !TaskStateRules.IsLeased(task.Status)) return null;
        if (executionId is { } execution && task.ExecutionId != execution) return null;
        return _tasks[taskId] = Lifecycle.Status(task, status);
    }

    /// <summary>Edits a live task; a queued one moves to its new place in dispatch order. Null when the task is not live.</summary>
    public TaskRecord? Edit(Guid taskId, TaskEdit edit)
    {
        if (!_tasks.TryGetValue(taskId, out var task)) return null;
        var edited = edit.ApplyTo(task);
        if (task.Status == TaskState.Queued)
        {
            RemoveReady(task);
            AddReady(edited);
        }
        return _tasks[taskId] = edited;
    }

    /// <summary>A signal for a leased task (see <see cref="Lifecycle.Signal"/>); null when the task is not leased.</summary>
    public Transition? Signal(Guid taskId, TaskSignal signal, DateTimeOffset now)
    {
        if (!_tasks.TryGetValue(taskId, out var task) || !TaskStateRules.IsLeased(task.Status)) return null;
        var transition = Save(Lifecycle.Signal(task, _executions[task.ExecutionId!.Value], signal, now));
        lock (_signaled) _signaled.Add(transition.Execution.WorkerId);
        return transition;
    }

    /// <summary>Whether signals wait for the worker's executions. Read without the owner's lock: a stale answer only delays them to the next exchange.</summary>
    public bool HasSignals(Guid workerId) => _signaled.Contains(workerId);

    /// <summary>Hands the worker the signals waiting for its executions; returns the tasks changed (signals marked handed over).</summary>
    public List<TaskRecord> TakeSignals(Guid workerId, DateTimeOffset now, List<SignalCommand> commands)
    {
        var changed = new List<TaskRecord>();
        lock (_signaled) _signaled.Remove(workerId);
        if (_kills.Remove(workerId, out var kills)) commands.AddRange(kills);
        if (_workers.GetValueOrDefault(workerId) is not { } worker) return changed;
        foreach (var taskId in worker.Held)
        {
            if (!Lifecycle.HasUndelivered(_tasks[taskId])) continue;
            var (task, delivered) = Lifecycle.Deliver(_tasks[taskId], now);
            _tasks[taskId] = task;
            _executions[task.ExecutionId!.Value] = _executions[task.ExecutionId.Value] with { Signals = task.Signals };
            commands.AddRange(delivered);
            changed.Add(task);
        }
        return changed;
    }

    /// <summary>Hands back every lease of a worker that stopped.</summary>
    public List<Transition> ReleaseAll(LiveWorker worker, DateTimeOffset now) =>
        Close(worker.Held.ToList(), task => Lifecycle.Release(task, _executions[task.ExecutionId!.Value], now));

    /// <summary>
    /// Renews the worker's leases: those it says it holds, or all when it does not say. A lease with
    /// more than half its time left is not renewed yet, so that a busy worker's frequent reports do
    /// not rewrite every lease it holds each time.
    /// </summary>
    public List<TaskRecord> Renew(LiveWorker worker, IReadOnlyCollection<Guid>? heldExecutions, DateTimeOffset now, TimeSpan leaseTimeout)
    {
        var renewed = new List<TaskRecord>();
        if (worker.Held.Count == 0 || heldExecutions is { Count: 0 }) return renewed;
        var expires = now + leaseTimeout;
        var renewBefore = now + leaseTimeout / 2;
        // The worker's list as a set, made once a lease is due: most reports find none due, and the
        // list names every task the worker holds (a thousand, prefetched), at every report.
        ISet<Guid>? held = null;
        foreach (var taskId in worker.Held)
        {
            var task = _tasks[taskId];
            if (task.LeaseExpires > renewBefore) continue;
            if (heldExecutions is not null && !(held ??= heldExecutions as ISet<Guid> ?? heldExecutions.ToHashSet()).Contains(task.ExecutionId!.Value)) continue;
            _tasks[taskId] = task with { LeaseExpires = expires };
            renewed.Add(_tasks[taskId]);
        }
        return renewed;
    }

    /// <summary>Queues again the tasks whose lease expired before <paramref name="now"/>.</summary>
    public List<Transition> Expire(DateTimeOffset now) =>
        Close(_tasks.Values.Where(t => TaskStateRules.IsLeased(t.Status) && t.LeaseExpires < now).Select(t => t.Id).ToList(),
            task => Lifecycle.Expire(task, _executions[task.ExecutionId!.Value], now));

    /// <summary>Workers silent since before <paramref name="cutoff"/>: marked lost, and returned.</summary>
    public List<LiveWorker> LoseSilentWorkers(DateTimeOffset cutoff)
    {
        var lost = _workers.Values.Where(w => w.Status.IsConnected() && w.LastSeen < cutoff).ToList();
        lost.ForEach(w => w.Status = WorkerState.Lost);
        return lost;
    }

    private List<Transition> Close(List<Guid> taskIds, Func<TaskRecord, Transition> close) =>
        taskIds.Select(id => Save(close(_tasks[id]))).ToList();

    /// <summary>Records a transition and keeps the indexes in step: ended tasks and closed executions leave.</summary>
    /// <returns>The transition, with the task as it was before (<see cref="Transition.Before"/>).</returns>
    private Transition Save(Transition transition)
    {
        var (task, execution) = transition;
        // One lookup of the task either way (they are a good part of the dispatch's time, in tables of
        // hundreds of thousands of tasks).
        TaskRecord? before;
        if (TaskStateRules.IsEnded(task.Status)) _tasks.Remove(task.Id, out before);
        else
        {
            ref var stored = ref CollectionsMarshal.GetValueRefOrAddDefault(_tasks, task.Id, out _);
            before = stored;
            stored = task;
        }
        transition = transition with { Before = before };
        if (execution.IsOpen)
        {
            _executions[execution.Id] = execution;
            _workers.GetValueOrDefault(execution.WorkerId)?.Held.Add(task.Id);
        }
        else
        {
            _executions.Remove(execution.Id);
            _workers.GetValueOrDefault(execution.WorkerId)?.Held.Remove(task.Id);
        }
        if (task.Status == TaskState.Queued) AddReady(task);
        return transition;
    }

    public bool IsPaused(string batch) => _pausedBatches.Contains(batch);

    /// <summary>Pauses (no new leases of its tasks; running ones go on) or resumes a batch.</summary>
    public void SetPaused(string batch, bool paused)
    {
        if (paused == _pausedBatches.Contains(batch)) return;
        var ready = _readyByBatch.GetValueOrDefault(batch);
        if (paused)
        {
            _pausedBatches.Add(batch);
            if (ready is not null) _ready.RemoveAll(ready);
        }
        else
        {
            _pausedBatches.Remove(batch);
            if (ready is not null) _ready.AddAll(ready);
        }
        Volatile.Write(ref _readyCount, _ready.Count);
    }

    private void AddReady(TaskRecord task)
    {
        var order = ReadyOrder.Of(task);
        var handler = Contracts.ContainerTasks.RequiredOffer(task) ?? ReadySets.Commands;
        if (!_pausedBatches.Contains(task.Batch)) _ready.Add(handler, order);
        if (!_readyByBatch.TryGetValue(task.Batch, out var batch)) _readyByBatch[task.Batch] = batch = new();
        batch.Add(handler, order);
        Volatile.Write(ref _readyCount, _ready.Count);
    }

    private void RemoveReady(TaskRecord task)
    {
        var order = ReadyOrder.Of(task);
        var handler = Contracts.ContainerTasks.RequiredOffer(task) ?? ReadySets.Commands;
        _ready.Remove(handler, order);
        if (_readyByBatch.TryGetValue(task.Batch, out var batch))
        {
            batch.Remove(handler, order);
            if (batch.Count == 0) _readyByBatch.Remove(task.Batch);
        }
        Volatile.Write(ref _readyCount, _ready.Count);
    }
}
