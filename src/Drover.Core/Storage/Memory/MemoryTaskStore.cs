using Drover.Contracts;
using Drover.Dispatch;
using Drover.Json;
using Drover.Model;
using Drover.Query;
using Drover.Validation;

namespace Drover.Storage.Memory;

/// <summary>
/// A complete task store in memory, for tests and throwaway runs: the shared <see cref="LiveState"/>
/// decides dispatch, and every record is kept for reads. Every operation runs under one lock, so
/// it is trivially consistent; signals are raised after the lock is released.
/// </summary>
public sealed partial class MemoryTaskStore(StoreOptions options, StoreSignals signals, TimeProvider time, MemoryStoreOptions? memory = null, TaskEvents? events = null) : ITaskStore, IRecruitmentStore
{
    // Changes made under the lock, published to followers once it is released.
    private List<TaskRecord> _changed = [];
    private List<TaskRecord> _created = [];
    private List<TaskOutputChunk> _output = [];

    private readonly bool _keepHistory = memory?.KeepHistory ?? true;

    public bool KeepsHistory => _keepHistory;

    private readonly Lock _gate = new();
    private readonly LiveState _live = new();
    private readonly Dictionary<Guid, TaskRecord> _tasks = [];
    private readonly SortedDictionary<long, Guid> _bySeq = [];
    private readonly Dictionary<Guid, ExecutionRecord> _executions = [];
    private readonly Dictionary<Guid, List<Guid>> _executionsByTask = [];
    private readonly Dictionary<Guid, WorkerRecord> _workers = [];
    private long _nextSeq = 1;

    public Task<IReadOnlyList<CreateOutcome>> CreateAsync(IReadOnlyList<TaskDefinition> tasks, CancellationToken cancellationToken)
    {
        List<CreateOutcome> outcomes;
        var ended = new List<TaskRecord>();
        lock (_gate) outcomes = CreateLocked(tasks, time.GetUtcNow(), ended);
        PublishChanges();
        Announce(outcomes, ended);
        return Task.FromResult<IReadOnlyList<CreateOutcome>>(outcomes);
    }

    /// <summary>Creates the tasks (under the lock), each starting as its requirements allow; collects those that start ended.</summary>
    private List<CreateOutcome> CreateLocked(IReadOnlyList<TaskDefinition> tasks, DateTimeOffset now, List<TaskRecord> ended)
    {
        var outcomes = new List<CreateOutcome>(tasks.Count);
        var starts = Dependencies.Starts([.. tasks.Where(d => !_tasks.ContainsKey(d.Id))],
            id => _tasks.TryGetValue(id, out var t) ? t.Status : null);
        foreach (var definition in tasks)
        {
            if (_tasks.TryGetValue(definition.Id, out var existing))
            {
                outcomes.Add(new CreateOutcome(existing, Created: false));
                continue;
            }
            var start = starts[definition.Id];
            var task = Dependencies.Delay(Dependencies.Apply(definition.ToQueuedRecord(now, _nextSeq++), start, now), now);
            _tasks[task.Id] = task;
            _bySeq[task.Seq] = task.Id;
            if (events?.HasSubscribers == true) _created.Add(task);
            if (task.Status == TaskState.Canceled) ended.Add(task);
            else _live.Add(task, unmet: start.Unmet);
            outcomes.Add(new CreateOutcome(task, Created: true));
        }
        return outcomes;
    }

    private void Announce(List<CreateOutcome> outcomes, List<TaskRecord> ended)
    {
        Observability.TaskMetrics.Created([.. outcomes.Where(o => o.Created).Select(o => o.Task)]);
        if (outcomes.Any(o => o.Created)) signals.TasksReady.Pulse();
        if (ended.Count > 0) signals.Ended(ended);
    }

    public Task<CancelOutcome> CancelAsync(Guid id, string reason, CancellationToken cancellationToken)
    {
        var ended = new List<TaskRecord>();
        Guid? killed = null;
        CancelOutcome outcome;
        lock (_gate)
        {
            if (!_tasks.TryGetValue(id, out var task)) return Task.FromResult(CancelOutcome.Missing);
            if (TaskStateRules.IsEnded(task.Status)) return Task.FromResult(CancelOutcome.Ended(task));
            var now = time.GetUtcNow();
            var transition = _live.Cancel(id, reason, now, out var canceled);
            if (transition is { } t)
            {
                Keep(t);
                killed = t.Execution.WorkerId;
            }
            else Update(canceled!);
            ended.Add(canceled!);
            ended.AddRange(Settle(canceled!, now, out _));
            outcome = CancelOutcome.Canceled(canceled!);
        }
        PublishChanges();
        signals.Ended(ended);
        if (killed is { } worker) signals.SignalWorker(worker);
        return Task.FromResult(outcome);
    }

    public Task<UpdateOutcome> UpdateAsync(Guid id, TaskEdit edit, CancellationToken cancellationToken)
    {
        UpdateOutcome outcome;
        lock (_gate)
        {
            if (!_tasks.TryGetValue(id, out var task)) return Task.FromResult(UpdateOutcome.Missing);
            if (!edit.AllowedFor(task.Status)) return Task.FromResult(UpdateOutcome.Refused(task));
            var edited = _live.Edit(id, edit) ?? edit.ApplyTo(task);
            Update(edited);
            outcome = UpdateOutcome.Updated(edited);
        }
        PublishChanges();
        return Task.FromResult(outcome);
    }

    public Task<SignalOutcome> SetStatusAsync(Guid taskId, Guid? executionId, StatusUpdate status, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (!_tasks.TryGetValue(taskId, out var task)) return Task.FromResult(SignalOutcome.Missing);
            if (_live.SetStatus(taskId, executionId, status) is not { } updated) return Task.FromResult(SignalOutcome.NotRunning(task));
            Update(updated);
        }
        PublishChanges();
        return Task.FromResult(SignalOutcome.Signaled(_tasks[taskId]));
    }

    /// <summary>Hands the changes made under the lock to the followers (outside the lock).</summary>
    private void PublishChanges()
    {
        bool delayed;
        lock (_gate) delayed = _live.TakeDelayedAdded();
        if (delayed) signals.Delayed.Pulse();
        if (events is null) return;
        List<TaskRecord> created, changed;
        List<TaskOutputChunk> output;
        lock (_gate)
        {
            if (_created.Count == 0 && _changed.Count == 0 && _output.Count == 0) return;
            (created, _created) = (_created, []);
            (changed, _changed) = (_changed, []);
            (output, _output) = (_output, []);
        }
        events.Publish(created, created: true);
        events.Publish(changed);
        events.PublishOutput(output);
    }

    public Task<SignalOutcome> SignalAsync(Guid id, TaskSignal signal, CancellationToken cancellationToken)
    {
        Guid worker;
        SignalOutcome outcome;
        lock (_gate)
        {
            if (!_tasks.TryGetValue(id, out var task)) return Task.FromResult(SignalOutcome.Missing);
            if (_live.Signal(id, signal, time.GetUtcNow()) is not { } t) return Task.FromResult(SignalOutcome.NotRunning(task));
            Keep(t);
            worker = t.Execution.WorkerId;
            outcome = SignalOutcome.Signaled(t.Task);
        }
        PublishChanges();
        signals.SignalWorker(worker);
        return Task.FromResult(outcome);
    }

    public Task<WorkerRecord?> UpdateWorkerAsync(Guid workerId, WorkerSettings settings, bool drain, CancellationToken cancellationToken)
    {
        WorkerRecord updated;
        lock (_gate)
        {
            if (!_workers.TryGetValue(workerId, out var worker)) return Task.FromResult<WorkerRecord?>(null);
            _workers[workerId] = updated = WorkerRecords.Apply(worker, settings, drain);
            if (_live.Worker(workerId) is { } live) WorkerRecords.ApplyTo(live, updated);
            updated = Current(updated);
        }
        signals.SignalWorker(workerId);
        return Task.FromResult<WorkerRecord?>(updated);
    }

    public Task<WorkerControl?> TakeControlAsync(Guid workerId, CancellationToken cancellationToken)
    {
        lock (_gate) return Task.FromResult(_live.Worker(workerId)?.TakePendingControl());
    }

    public Task<IReadOnlyList<SignalCommand>> TakeSignalsAsync(Guid workerId, CancellationToken cancellationToken)
    {
        var commands = new List<SignalCommand>();
        lock (_gate)
        {
            foreach (var task in _live.TakeSignals(workerId, time.GetUtcNow(), commands))
            {
                _tasks[task.Id] = task;
                if (task.ExecutionId is { } e && _executions.TryGetValue(e, out var execution)) _executions[e] = execution with { Signals = task.Signals };
            }
        }
        return Task.FromResult<IReadOnlyList<SignalCommand>>(commands);
    }

    public Task SetBatchPausedAsync(string batch, bool paused, CancellationToken cancellationToken)
    {
        lock (_gate) _live.SetPaused(batch, paused);
        if (!paused) signals.TasksReady.Pulse();
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<BatchRecord>> ListBatchesAsync(CancellationToken cancellationToken)
    {
        var tasks = Snapshot();
        List<WorkerRecord> workers;
        lock (_gate) workers = [.. _workers.Values.Where(w => w.Status.IsConnected())];
        IReadOnlyList<BatchRecord> batches;
        lock (_gate)
        {
            batches = [.. tasks.GroupBy(t => t.Batch, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => new BatchRecord
            {
                Name = g.Key,
                Paused = _live.IsPaused(g.Key),
                Counts = g.GroupBy(t => Enums.Name(t.Status)).ToDictionary(s => s.Key, s => (long)s.Count()),
                Workers = [.. g.Where(t => TaskStateRules.IsLeased(t.Status)).Select(t => t.WorkerId!.Value)
                    .Concat(workers.Where(w => w.Batch == g.Key).Select(w => w.Id)).Distinct()],
            })];
        }
        return Task.FromResult(batches);
    }

    /// <summary>Applies what an ended task does to its dependants; returns those that ended too.</summary>
    private List<TaskRecord> Settle(TaskRecord ended, DateTimeOffset now, out bool queued)
    {
        queued = false;
        var endedToo = new List<TaskRecord>();
        foreach (var changed in _live.Settle(ended, now))
        {
            Update(changed);
            if (TaskStateRules.IsEnded(changed.Status)) endedToo.Add(changed);
            else queued = true;
        }
        return endedToo;
    }

    /// <summary>A task's new state without an execution change (dependencies, cancel before a lease).</summary>
    private void Update(TaskRecord task)
    {
        if (events?.HasSubscribers == true) _changed.Add(task);
        if (!_keepHistory && TaskStateRules.IsEnded(task.Status)) Remove(task);
        else _tasks[task.Id] = task;
    }

    public Task<ResubmitOutcome> ResubmitAsync(IReadOnlyList<Guid> ids, CancellationToken cancellationToken)
    {
        List<CreateOutcome> outcomes;
        var ended = new List<TaskRecord>();
        lock (_gate)
        {
            var unknown = ids.Where(id => !_tasks.ContainsKey(id)).ToList();
            var notEnded = ids.Where(id => _tasks.TryGetValue(id, out var t) && !TaskStateRules.IsEnded(t.Status)).ToList();
            if (unknown.Count > 0 || notEnded.Count > 0) return Task.FromResult(new ResubmitOutcome([], unknown, notEnded));
            // Created as any new task is: with the same requirements, so it starts as they allow.
            outcomes = CreateLocked([.. ids.Select(id => TaskDefinition.ResubmissionOf(_tasks[id], Ids.New()))], time.GetUtcNow(), ended);
            foreach (var outcome in outcomes) _tasks[outcome.Task.ResubmittedFrom!.Value] = _tasks[outcome.Task.ResubmittedFrom.Value] with { Resubmitted = outcome.Task.Id };
        }
        PublishChanges();
        Announce(outcomes, ended);
        return Task.FromResult(new ResubmitOutcome([.. outcomes.Select(o => o.Task)], [], []));
    }

    public Task<PurgeOutcome> PurgeAsync(Filter filter, CancellationToken cancellationToken)
    {
        var selected = Snapshot().Where(t => FilterEvaluator.Matches(filter, t)).ToList();
        var refused = new List<Guid>();
        var deleted = 0L;
        lock (_gate)
        {
            foreach (var task in selected)
            {
                if (!_tasks.TryGetValue(task.Id, out var current)) continue;
                if (!TaskStateRules.IsEnded(current.Status))
                {
                    refused.Add(task.Id);
                    continue;
                }
                Remove(current);
                deleted++;
            }
        }
        return Task.FromResult(new PurgeOutcome(deleted, refused));
    }

    private void Remove(TaskRecord task)
    {
        _tasks.Remove(task.Id);
        _bySeq.Remove(task.Seq);
        if (_executionsByTask.Remove(task.Id, out var executionIds))
            executionIds.ForEach(e => _executions.Remove(e));
    }

    public Task<DeleteOutcome> DeleteAsync(Guid id, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (!_tasks.TryGetValue(id, out var task)) return Task.FromResult(DeleteOutcome.NotFound);
            if (!TaskStateRules.IsEnded(task.Status)) return Task.FromResult(DeleteOutcome.NotEnded);
            Remove(task);
            return Task.FromResult(DeleteOutcome.Deleted);
        }
    }

    public Task<WorkerRecord> RegisterWorkerAsync(WorkerRegistration registration, CancellationToken cancellationToken)
    {
        var worker = WorkerRecords.FromRegistration(registration, Ids.New(), time.GetUtcNow());
        lock (_gate)
        {
            _workers[worker.Id] = worker;
            _live.AddWorker(new LiveWorker(worker.Id, worker.Batch, worker.Status, worker.LastSeen, worker.Handlers));
        }
        return Task.FromResult(worker);
    }

    public Task<IReadOnlyList<LeasedTask>> LeaseAsync(Guid workerId, int max, CancellationToken cancellationToken)
    {
        List<Transition> leases;
        lock (_gate)
        {
            var now = time.GetUtcNow();
            var worker = _live.Touch(workerId, WorkerState.Running, now);
            leases = _live.Lease(worker, max, now, now + options.LeaseTimeout);
            leases.ForEach(Keep);
        }
        PublishChanges();
        return Task.FromResult<IReadOnlyList<LeasedTask>>(leases.Select(Lifecycle.ToLeasedTask).ToList());
    }

    public Task<ReportResult> ReportAsync(Guid workerId, WorkerReport report, CancellationToken cancellationToken)
    {
        var stale = new List<Guid>();
        var ended = new List<TaskRecord>();
        var requeued = false;
        lock (_gate)
        {
            var now = time.GetUtcNow();
            var worker = _live.Touch(workerId, report.State, now);
            if (report.Stats is { } stats) _workers[workerId] = _workers[workerId] with { Stats = stats with { At = now } };
            var transitions = new List<Transition>();
            foreach (var e in report.Events)
            {
                if (_live.Apply(workerId, e, now, options.OutputLimitBytes) is { } t)
                {
                    transitions.Add(t);
                    if (e.Type == ReportEventType.Output && events?.HasSubscribers == true) _output.Add(TaskOutputChunk.From(t.Task.Id, e));
                }
                else stale.Add(e.ExecutionId);
            }
            // A worker that stopped holds nothing, even a lease whose answer it never read.
            if (report.State == WorkerState.Stopped) transitions.AddRange(_live.ReleaseAll(worker, now));
            foreach (var t in transitions)
            {
                Keep(t);
                requeued |= t.TaskQueued;
                if (!t.TaskEnded) continue;
                ended.Add(t.Task);
                ended.AddRange(Settle(t.Task, now, out var queued));
                requeued |= queued;
            }
            // The heartbeat: the leases the worker holds live another LeaseTimeout.
            foreach (var task in _live.Renew(worker, report.Held, now, options.LeaseTimeout)) _tasks[task.Id] = task;
        }
        PublishChanges();
        signals.Ended(ended);
        if (requeued) signals.TasksReady.Pulse();
        return Task.FromResult(new ReportResult(stale));
    }

    public Task<int> ExpireLeasesAsync(CancellationToken cancellationToken)
    {
        List<Transition> expired;
        lock (_gate)
        {
            var now = time.GetUtcNow();
            expired = _live.Expire(now);
            expired.ForEach(Keep);
            _live.LoseSilentWorkers(now - options.LeaseTimeout);
        }
        PublishChanges();
        if (expired.Count > 0) signals.TasksReady.Pulse();
        return Task.FromResult(expired.Count);
    }

    public Task<DateTimeOffset?> ReleaseDueAsync(CancellationToken cancellationToken)
    {
        DateTimeOffset? next;
        var released = false;
        lock (_gate)
        {
            foreach (var task in _live.ReleaseDue(time.GetUtcNow()))
            {
                Update(task);
                released = true;
            }
            next = _live.NextRunAfter;
        }
        PublishChanges();
        if (released) signals.TasksReady.Pulse();
        return Task.FromResult(next);
    }

    public Task<int> PurgeWorkersAsync(DateTimeOffset before, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            // Their state, last sighting and the leases they hold are dispatch's (Current, the live state), not the registration's.
            var purged = _workers.Values.Select(Current)
                .Where(w => w.Status is WorkerState.Stopped or WorkerState.Lost && w.LastSeen < before && _live.Worker(w.Id)?.Held.Count is null or 0)
                .Select(w => w.Id).ToList();
            foreach (var id in purged)
            {
                _workers.Remove(id);
                _live.RemoveWorker(id);
            }
            return Task.FromResult(purged.Count);
        }
    }

    public Task<TaskRecord?> GetTaskAsync(Guid id, CancellationToken cancellationToken)
    {
        lock (_gate) return Task.FromResult(_tasks.GetValueOrDefault(id));
    }

    public Task<IReadOnlyList<TaskRecord>> GetTasksAsync(IReadOnlyCollection<Guid> ids, bool includeOutput, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            IReadOnlyList<TaskRecord> found = ids
                .Select(id => _tasks.GetValueOrDefault(id))
                .OfType<TaskRecord>()
                .Select(t => includeOutput ? t : t.WithoutLargeFields())
                .ToList();
            return Task.FromResult(found);
        }
    }

    public Task<IReadOnlyDictionary<Guid, TaskState>> GetStatesAsync(IReadOnlyCollection<Guid> ids, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            IReadOnlyDictionary<Guid, TaskState> states = ids.Distinct()
                .Where(_tasks.ContainsKey)
                .ToDictionary(id => id, id => _tasks[id].Status);
            return Task.FromResult(states);
        }
    }

    public Task<IReadOnlyList<TaskRecord>> ListTasksAsync(TaskListFilter filter, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var afterSeq = filter.After is { } after && _tasks.TryGetValue(after, out var cursor) ? cursor.Seq : 0;
            IReadOnlyList<TaskRecord> page = _bySeq
                .Where(e => e.Key > afterSeq)
                .Select(e => _tasks[e.Value])
                .Where(t => (filter.Status is null || t.Status == filter.Status)
                    && (filter.Batch is null || t.Batch == filter.Batch)
                    && (filter.Group is null || t.Group == filter.Group)
                    && (filter.WorkerId is null || t.WorkerId == filter.WorkerId)
                    && (filter.InGroups is null || (t.Group is not null && filter.InGroups.Contains(t.Group)))
                    && (filter.InBatches is null || filter.InBatches.Contains(t.Batch)))
                .Take(filter.Limit)
                .Select(t => t.WithoutLargeFields())
                .ToList();
            return Task.FromResult(page);
        }
    }

    public Task<IReadOnlyList<TaskRecord>> QueryTasksAsync(TaskQuery query, CancellationToken cancellationToken)
    {
        var matching = FilterEvaluator.Sort(Snapshot().Where(t => FilterEvaluator.Matches(query.Filter, t)), query.Sort);
        IReadOnlyList<TaskRecord> page = [.. matching.Skip(query.Skip).Take(query.Limit).Select(t => query.IncludeLargeFields ? t : t.WithoutLargeFields())];
        return Task.FromResult(page);
    }

    public Task<long> CountTasksAsync(Filter filter, CancellationToken cancellationToken) =>
        Task.FromResult((long)Snapshot().Count(t => FilterEvaluator.Matches(filter, t)));

    /// <summary>Every task in submission order. Records are immutable, so filters run outside the lock.</summary>
    private List<TaskRecord> Snapshot()
    {
        lock (_gate) return [.. _bySeq.Values.Select(id => _tasks[id])];
    }

    public Task<IReadOnlyList<ExecutionRecord>> ListExecutionsAsync(Guid taskId, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            IReadOnlyList<ExecutionRecord> list = _executionsByTask.TryGetValue(taskId, out var ids)
                ? ids.Select(id => _executions[id]).ToList()
                : [];
            return Task.FromResult(list);
        }
    }

    public Task<ExecutionRecord?> GetExecutionAsync(Guid id, CancellationToken cancellationToken)
    {
        lock (_gate) return Task.FromResult(_executions.GetValueOrDefault(id));
    }

    public Task<IReadOnlyList<WorkerRecord>> ListWorkersAsync(CancellationToken cancellationToken)
    {
        lock (_gate) return Task.FromResult<IReadOnlyList<WorkerRecord>>(_workers.Values.OrderBy(w => w.Registered).Select(Current).ToList());
    }

    public Task<WorkerRecord?> GetWorkerAsync(Guid id, CancellationToken cancellationToken)
    {
        lock (_gate) return Task.FromResult(_workers.TryGetValue(id, out var worker) ? Current(worker) : null);
    }

    /// <summary>A worker's record with what dispatch knows now: its state, when it was last seen, what it holds.</summary>
    private WorkerRecord Current(WorkerRecord worker) => _live.Worker(worker.Id) is { } live
        ? worker with { Status = live.Status, LastSeen = live.LastSeen, Running = live.Held.Count }
        : worker;

    /// <summary>Keeps the records of a transition for reads.</summary>
    private void Keep(Transition transition)
    {
        var (task, execution) = transition;
        if (events?.HasSubscribers == true) _changed.Add(task);
        if (!_keepHistory && TaskStateRules.IsEnded(task.Status))
        {
            // --store none: an ended task is forgotten with its executions (its end still reaches waiters).
            Remove(task);
            return;
        }
        _tasks[task.Id] = task;
        if (_executions.TryAdd(execution.Id, execution))
        {
            if (!_executionsByTask.TryGetValue(task.Id, out var list)) _executionsByTask[task.Id] = list = [];
            list.Add(execution.Id);
        }
        else
        {
            _executions[execution.Id] = execution;
        }
    }
}
