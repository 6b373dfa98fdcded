using Drover.Contracts;
using Drover.Dispatch;
using Drover.Model;
using Drover.Validation;

namespace Drover.Storage.Memory;

/// <summary>
/// A complete task store in memory, for tests and throwaway runs. Every operation runs under one
/// lock, so it is trivially consistent; signals are raised after the lock is released.
/// </summary>
public sealed class MemoryTaskStore(StoreOptions options, StoreSignals signals, TimeProvider time) : ITaskStore
{
    private readonly Lock _gate = new();
    private readonly Dictionary<Guid, TaskRecord> _tasks = [];
    private readonly SortedDictionary<long, Guid> _bySeq = [];
    private readonly SortedSet<ReadyOrder> _ready = [];
    private readonly Dictionary<Guid, ExecutionRecord> _executions = [];
    private readonly Dictionary<Guid, List<Guid>> _executionsByTask = [];
    private readonly Dictionary<Guid, WorkerRecord> _workers = [];
    private readonly Dictionary<Guid, HashSet<Guid>> _heldByWorker = [];
    private long _nextSeq = 1;

    public Task<IReadOnlyList<CreateOutcome>> CreateAsync(IReadOnlyList<TaskDefinition> tasks, CancellationToken cancellationToken)
    {
        var outcomes = new List<CreateOutcome>(tasks.Count);
        var anyCreated = false;
        lock (_gate)
        {
            var now = time.GetUtcNow();
            foreach (var definition in tasks)
            {
                if (_tasks.TryGetValue(definition.Id, out var existing))
                {
                    outcomes.Add(new CreateOutcome(existing, Created: false));
                    continue;
                }
                var task = definition.ToQueuedRecord(now, _nextSeq++);
                _tasks[task.Id] = task;
                _bySeq[task.Seq] = task.Id;
                _ready.Add(ReadyOrder.Of(task));
                outcomes.Add(new CreateOutcome(task, Created: true));
                anyCreated = true;
            }
        }
        if (anyCreated) signals.TasksReady.Pulse();
        return Task.FromResult<IReadOnlyList<CreateOutcome>>(outcomes);
    }

    public Task<DeleteOutcome> DeleteAsync(Guid id, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (!_tasks.TryGetValue(id, out var task)) return Task.FromResult(DeleteOutcome.NotFound);
            if (!TaskStateRules.IsEnded(task.Status)) return Task.FromResult(DeleteOutcome.NotEnded);
            _tasks.Remove(id);
            _bySeq.Remove(task.Seq);
            if (_executionsByTask.Remove(id, out var executionIds))
                executionIds.ForEach(e => _executions.Remove(e));
            return Task.FromResult(DeleteOutcome.Deleted);
        }
    }

    public Task<WorkerRecord> RegisterWorkerAsync(WorkerRegistration registration, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var worker = WorkerRecords.FromRegistration(registration, Ids.New(), now);
        lock (_gate)
        {
            _workers[worker.Id] = worker;
            _heldByWorker[worker.Id] = [];
        }
        return Task.FromResult(worker);
    }

    public Task<IReadOnlyList<LeasedTask>> LeaseAsync(Guid workerId, int max, CancellationToken cancellationToken)
    {
        var leased = new List<LeasedTask>();
        lock (_gate)
        {
            var worker = TouchWorker(workerId, WorkerState.Active);
            if (worker.Status != WorkerState.Active) return Task.FromResult<IReadOnlyList<LeasedTask>>(leased);
            var now = time.GetUtcNow();
            var picked = _ready
                .Where(r => worker.Batch is null || _tasks[r.Id].Batch == worker.Batch)
                .Take(max)
                .ToList();
            foreach (var entry in picked)
            {
                _ready.Remove(entry);
                var lease = Lifecycle.Lease(_tasks[entry.Id], workerId, Ids.New(), now, now + options.LeaseTimeout);
                Save(lease);
                _heldByWorker[workerId].Add(entry.Id);
                leased.Add(Lifecycle.ToLeasedTask(lease));
            }
            _workers[workerId] = worker with { Running = _heldByWorker[workerId].Count };
        }
        return Task.FromResult<IReadOnlyList<LeasedTask>>(leased);
    }

    public Task<ReportResult> ReportAsync(Guid workerId, WorkerReport report, CancellationToken cancellationToken)
    {
        var stale = new List<Guid>();
        var ended = new List<Guid>();
        var requeued = false;
        lock (_gate)
        {
            var worker = TouchWorker(workerId, report.State);
            var now = time.GetUtcNow();
            foreach (var e in report.Events)
            {
                if (!_executions.TryGetValue(e.ExecutionId, out var execution) || execution.WorkerId != workerId)
                {
                    stale.Add(e.ExecutionId);
                    continue;
                }
                var transition = Lifecycle.Apply(_tasks[execution.TaskId], execution, e, now, options.OutputLimitBytes);
                if (transition is not { } t)
                {
                    stale.Add(e.ExecutionId);
                    continue;
                }
                Save(t);
                if (t.TaskEnded) ended.Add(t.Task.Id);
                requeued |= t.TaskQueued;
            }
            if (report.State == WorkerState.Stopped)
            {
                // A worker that stopped holds nothing, even a lease whose answer it never read.
                foreach (var taskId in _heldByWorker[workerId].ToList())
                {
                    var task = _tasks[taskId];
                    Save(Lifecycle.Release(task, _executions[task.ExecutionId!.Value], now));
                    requeued = true;
                }
            }
            // The heartbeat: every lease the worker still holds lives another LeaseTimeout.
            var expires = now + options.LeaseTimeout;
            var heldByWorker = report.Held?.ToHashSet();
            foreach (var taskId in _heldByWorker[workerId])
            {
                if (heldByWorker is null || heldByWorker.Contains(_tasks[taskId].ExecutionId!.Value))
                    _tasks[taskId] = _tasks[taskId] with { LeaseExpires = expires };
            }
            _workers[workerId] = worker with { Running = _heldByWorker[workerId].Count };
        }
        signals.Ended(ended);
        if (requeued) signals.TasksReady.Pulse();
        return Task.FromResult(new ReportResult(stale));
    }

    public Task<int> ExpireLeasesAsync(CancellationToken cancellationToken)
    {
        var expired = 0;
        lock (_gate)
        {
            var now = time.GetUtcNow();
            foreach (var task in _tasks.Values.Where(t => TaskStateRules.IsLeased(t.Status) && t.LeaseExpires < now).ToList())
            {
                Save(Lifecycle.Expire(task, _executions[task.ExecutionId!.Value], now));
                expired++;
            }
            foreach (var worker in _workers.Values.Where(w => w.Status is WorkerState.Active or WorkerState.Stopping && w.LastSeen + options.LeaseTimeout < now).ToList())
                _workers[worker.Id] = worker with { Status = WorkerState.Lost, Running = 0 };
        }
        if (expired > 0) signals.TasksReady.Pulse();
        return Task.FromResult(expired);
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
                .Select(t => includeOutput ? t : WithoutLargeFields(t))
                .ToList();
            return Task.FromResult(found);
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
                    && (filter.WorkerId is null || t.WorkerId == filter.WorkerId))
                .Take(filter.Limit)
                .Select(WithoutLargeFields)
                .ToList();
            return Task.FromResult(page);
        }
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
        lock (_gate) return Task.FromResult<IReadOnlyList<WorkerRecord>>(_workers.Values.OrderBy(w => w.Registered).ToList());
    }

    public Task<WorkerRecord?> GetWorkerAsync(Guid id, CancellationToken cancellationToken)
    {
        lock (_gate) return Task.FromResult(_workers.GetValueOrDefault(id));
    }

    private static TaskRecord WithoutLargeFields(TaskRecord task) =>
        task with { Stdout = null, Stderr = null, Args = null, Result = null };

    /// <summary>Records a transition and keeps the indexes (ready set, held leases) in step with it.</summary>
    private void Save(Transition transition)
    {
        var (task, execution) = transition;
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
        if (!execution.IsOpen) _heldByWorker.GetValueOrDefault(execution.WorkerId)?.Remove(task.Id);
        if (task.Status == TaskState.Queued) _ready.Add(ReadyOrder.Of(task));
    }

    private WorkerRecord TouchWorker(Guid workerId, WorkerState reported)
    {
        if (!_workers.TryGetValue(workerId, out var worker)) throw new UnknownWorkerException(workerId);
        worker = worker with { LastSeen = time.GetUtcNow(), Status = reported };
        _workers[workerId] = worker;
        return worker;
    }
}
