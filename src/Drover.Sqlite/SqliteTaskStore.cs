using Drover.Contracts;
using Drover.Dispatch;
using Drover.Json;
using Drover.Model;
using Drover.Storage;
using Drover.Validation;
using Microsoft.Data.Sqlite;

namespace Drover.Sqlite;

/// <summary>
/// The embedded default task database: one SQLite file in WAL mode. Dispatch decisions are made on
/// a <see cref="LiveState"/> read from the database at start, so the hot path only writes: all
/// writes go through one <see cref="SqliteWriter"/> (group commit), and reads use their own
/// connections, seeing only what is committed.
/// </summary>
public sealed partial class SqliteTaskStore : ITaskStore, IRecruitmentStore, IAccessStore, IAsyncDisposable
{
    private readonly StoreOptions _options;
    private readonly StoreSignals _signals;
    private readonly TimeProvider _time;
    private readonly SqliteWriter _writer;
    private readonly SqliteTaskReader _reader;
    // Touched only on the writer's thread.
    private LiveState _live;
    // The seq of the next task created: given by the store rather than by SQLite, so that a new task's
    // record is made once, with it (the one writer makes every row; a seq left unused by a write that
    // failed is a gap, as SQLite's own rowids may have).
    private long _nextSeq;

    public SqliteTaskStore(SqliteStoreOptions sqlite, StoreOptions options, StoreSignals signals, TimeProvider time, TaskEvents? events = null)
    {
        _options = options;
        _signals = signals;
        _time = time;
        var directory = Path.GetDirectoryName(Path.GetFullPath(sqlite.Path));
        if (directory is not null) Directory.CreateDirectory(directory);
        SqliteFiles.Secure(sqlite.Path);
        SqliteLibrary.Configure();
        var connectionString = new SqliteConnectionStringBuilder { DataSource = sqlite.Path, Pooling = true }.ToString();

        var connection = new SqliteConnection(connectionString);
        connection.Open();
        using (var pragma = connection.CreateCommand())
        {
            // temp_store: each write runs in a savepoint, whose journal (the pages' contents before it) SQLite
            // keeps in a temporary file past 64 KiB; in memory it costs a copy instead of a write to the kernel
            // (15 writes and 32 KB per task in the throughput bench).
            // SQLite's page cache (2 MiB) and checkpoint interval (1,000 pages) stay as they are: a 64 MiB cache
            // and a checkpoint every 10,000 pages made fewer page reads and writes (0.58 -> 0.29 preads and
            // 0.98 -> 0.80 pwrites per task in the throughput bench) but no less CPU in four alternating runs,
            // and cost more in short runs (a log file that grows to 40 MB before it is reused).
            pragma.CommandText = $"PRAGMA journal_mode = WAL; PRAGMA synchronous = {(sqlite.SyncToDisk ? "FULL" : "NORMAL")}; PRAGMA busy_timeout = 5000; PRAGMA temp_store = MEMORY;";
            pragma.ExecuteNonQuery();
        }
        SqliteSchema.Migrate(connection);
        SqliteDialect.AddRegexFunction(connection);
        var context = new WriteContext(connection);
        _live = LiveStateLoader.Load(context);
        _nextSeq = context.QueryOnce("SELECT coalesce(max(seq), 0) + 1 FROM tasks", r => r.GetInt64(0), [])[0];
        // Should a write fail half-way, the state in memory is read back from what was committed.
        _writer = new SqliteWriter(connection, failed => _live = LiveStateLoader.Load(failed), events, sqlite.SyncToDisk);
        _reader = new SqliteTaskReader(connectionString);
    }

    public bool KeepsHistory => true;

    public Task<IReadOnlyList<CreateOutcome>> CreateAsync(IReadOnlyList<TaskDefinition> tasks, CancellationToken cancellationToken) =>
        _writer.WriteAsync<IReadOnlyList<CreateOutcome>>(context => Create(context, tasks), cancellationToken);

    public async Task<UnsyncedCreate> CreateUnsyncedAsync(IReadOnlyList<TaskDefinition> tasks, CancellationToken cancellationToken)
    {
        var (outcomes, commit) = await _writer.WriteAsync(context => (Create(context, tasks), context.Commit), cancellationToken, durable: false);
        return new UnsyncedCreate(outcomes, token => _writer.SyncAsync(commit, token));
    }

    /// <summary>Inserts the tasks, each starting as its requirements allow, and leaves the signals for after the commit.</summary>
    private List<CreateOutcome> Create(WriteContext context, IReadOnlyList<TaskDefinition> tasks)
    {
        var now = _time.GetUtcNow();
        var outcomes = new List<CreateOutcome>(tasks.Count);
        var insert = context.Raw(TaskRows.InsertTask);
        var ended = new List<TaskRecord>();
        // Only tasks that require others need a look at the database; most need none.
        var starts = tasks.Any(t => t.Requires is { Count: > 0 })
            ? Dependencies.Starts([.. tasks.Where(d => !_live.TryGetTask(d.Id, out _) && LoadState(context, d.Id) is null)], id => StateOf(context, id))
            : null;
        foreach (var definition in tasks)
        {
            var task = definition.ToQueuedRecord(now, _nextSeq);
            if (starts is not null && starts.TryGetValue(definition.Id, out var start)) task = Dependencies.Apply(task, start, now);
            task = Dependencies.Delay(task, now);
            if (TaskRows.InsertNewTask(insert, task))
            {
                _nextSeq++;
                if (task.Status == TaskState.Canceled) ended.Add(task);
                else _live.Add(task, unmet: starts?[task.Id].Unmet);
                outcomes.Add(new CreateOutcome(task, Created: true));
                context.Announce(task, created: true);
            }
            else
            {
                outcomes.Add(new CreateOutcome(LoadTask(context, task.Id)!, Created: false));
            }
        }
        if (outcomes.Any(o => o.Created))
        {
            context.AfterCommit(_signals.TasksReady.Pulse);
            context.AfterCommit(() => Observability.TaskMetrics.Created([.. outcomes.Where(o => o.Created).Select(o => o.Task)]));
        }
        if (ended.Count > 0) context.AfterCommit(() => _signals.Ended(ended));
        AnnounceDelayed(context);
        return outcomes;
    }

    public Task<CancelOutcome> CancelAsync(Guid id, string reason, CancellationToken cancellationToken) =>
        _writer.WriteAsync(context =>
        {
            if (!_live.TryGetTask(id, out _))
                return LoadTask(context, id) is { } stored ? CancelOutcome.Ended(stored) : CancelOutcome.Missing;
            var now = _time.GetUtcNow();
            if (_live.Cancel(id, reason, now, out var canceled) is { } transition)
            {
                Save(context, transition, output: false);
                context.AfterCommit(() => _signals.SignalWorker(transition.Execution.WorkerId));
            }
            else Write(context, canceled!);
            var ended = new List<TaskRecord> { canceled! };
            Settle(context, ended[0], now, ended);
            context.AfterCommit(() => _signals.Ended(ended));
            return CancelOutcome.Canceled(ended[0]);
        }, cancellationToken);

    public Task<UpdateOutcome> UpdateAsync(Guid id, TaskEdit edit, CancellationToken cancellationToken) =>
        _writer.WriteAsync(context =>
        {
            // Live tasks are in memory; an ended one is read back (it may take a new name only).
            var task = _live.TryGetTask(id, out var live) ? live : LoadTask(context, id);
            if (task is null) return UpdateOutcome.Missing;
            if (!edit.AllowedFor(task.Status)) return UpdateOutcome.Refused(task);
            var edited = _live.Edit(id, edit) ?? edit.ApplyTo(task);
            context.Execute(
                "UPDATE tasks SET name = $name, priority = $priority, retry = $retry, timeout_ms = $timeout, " +
                "command = $command, shell = $shell, handler = $handler, args = $args, env = $env WHERE id = $id",
                ("$name", SqliteValues.TextOrNull(edited.Name)), ("$priority", edited.Priority), ("$retry", edited.Retry),
                ("$timeout", edited.Timeout is { } t ? (long)t.TotalMilliseconds : DBNull.Value),
                ("$command", SqliteValues.JsonOrNull(edited.Command)), ("$shell", SqliteValues.TextOrNull(edited.Shell)),
                ("$handler", SqliteValues.TextOrNull(edited.Handler)), ("$args", edited.Args is { } a ? a.GetRawText() : DBNull.Value),
                ("$env", SqliteValues.JsonOrNull(edited.Env)), ("$id", id.ToString()));
            context.Announce(edited, created: false);
            return UpdateOutcome.Updated(edited);
        }, cancellationToken);

    public Task<SignalOutcome> SetStatusAsync(Guid taskId, Guid? executionId, StatusUpdate status, CancellationToken cancellationToken) =>
        _writer.WriteAsync(context =>
        {
            if (!_live.TryGetTask(taskId, out var task))
                return LoadTask(context, taskId) is { } stored ? SignalOutcome.NotRunning(stored) : SignalOutcome.Missing;
            if (_live.SetStatus(taskId, executionId, status) is not { } updated) return SignalOutcome.NotRunning(task);
            Write(context, updated);
            return SignalOutcome.Signaled(updated);
        }, cancellationToken);

    public Task<SignalOutcome> SignalAsync(Guid id, TaskSignal signal, CancellationToken cancellationToken) =>
        _writer.WriteAsync(context =>
        {
            if (!_live.TryGetTask(id, out var task))
                return LoadTask(context, id) is { } stored ? SignalOutcome.NotRunning(stored) : SignalOutcome.Missing;
            if (_live.Signal(id, signal, _time.GetUtcNow()) is not { } t) return SignalOutcome.NotRunning(task);
            Save(context, t, output: false);
            context.AfterCommit(() => _signals.SignalWorker(t.Execution.WorkerId));
            return SignalOutcome.Signaled(t.Task);
        }, cancellationToken);

    public Task<WorkerRecord?> UpdateWorkerAsync(Guid workerId, WorkerSettings settings, bool drain, CancellationToken cancellationToken) =>
        _writer.WriteAsync(context =>
        {
            if (context.Query($"SELECT {TaskRows.WorkerColumns} FROM workers WHERE id = $id", TaskRows.ReadWorker, ("$id", workerId.ToString())) is not [var worker])
                return null;
            var updated = WorkerRecords.Apply(worker, settings, drain);
            context.Execute("UPDATE workers SET concurrency = $concurrency, prefetch = $prefetch, batch = $batch, paused = $paused, drain = $drain WHERE id = $id",
                ("$concurrency", updated.Concurrency), ("$prefetch", WorkerRecords.StoredPrefetch(updated)), ("$batch", SqliteValues.TextOrNull(updated.Batch)),
                ("$paused", updated.Paused ? 1 : 0), ("$drain", updated.Drain ? 1 : 0), ("$id", workerId.ToString()));
            if (_live.Worker(workerId) is { } live) WorkerRecords.ApplyTo(live, updated);
            context.AfterCommit(() => _signals.SignalWorker(workerId));
            return updated;
        }, cancellationToken);

    public Task<WorkerControl?> TakeControlAsync(Guid workerId, CancellationToken cancellationToken) =>
        Task.FromResult(_live.Worker(workerId)?.TakePendingControl());

    public Task<IReadOnlyList<SignalCommand>> TakeSignalsAsync(Guid workerId, CancellationToken cancellationToken)
    {
        // Almost always nothing waits: answer that without a trip through the writer.
        if (!_live.HasSignals(workerId)) return Task.FromResult<IReadOnlyList<SignalCommand>>([]);
        return _writer.WriteAsync<IReadOnlyList<SignalCommand>>(context =>
        {
            var commands = new List<SignalCommand>();
            foreach (var task in _live.TakeSignals(workerId, _time.GetUtcNow(), commands))
                TaskRows.UpdateChanged(context, before: null, task, output: false);
            return commands;
        }, cancellationToken);
    }

    public Task SetBatchPausedAsync(string batch, bool paused, CancellationToken cancellationToken) =>
        _writer.WriteAsync(context =>
        {
            context.Execute("INSERT INTO batches (name, paused) VALUES ($name, $paused) ON CONFLICT (name) DO UPDATE SET paused = $paused",
                ("$name", batch), ("$paused", paused ? 1 : 0));
            _live.SetPaused(batch, paused);
            if (!paused) context.AfterCommit(_signals.TasksReady.Pulse);
            return true;
        }, cancellationToken);

    public Task<IReadOnlyList<BatchRecord>> ListBatchesAsync(CancellationToken cancellationToken) => _reader.ListBatchesAsync(cancellationToken);

    public Task<IReadOnlyList<BatchRecord>> ListLiveBatchesAsync(CancellationToken cancellationToken) => _reader.ListLiveBatchesAsync(cancellationToken);

    public Task<IReadOnlyDictionary<string, long>> CountQueuedByHandlerAsync(CancellationToken cancellationToken) => _reader.CountQueuedByHandlerAsync(cancellationToken);

    /// <summary>Writes what an ended task does to the tasks that require it; returns whether some became ready.</summary>
    private bool Settle(WriteContext context, TaskRecord endedTask, DateTimeOffset now, List<TaskRecord> ended)
    {
        var ready = false;
        foreach (var changed in _live.Settle(endedTask, now))
        {
            Write(context, changed);
            if (TaskStateRules.IsEnded(changed.Status)) ended.Add(changed);
            else ready = true;
        }
        AnnounceDelayed(context);
        return ready;
    }

    /// <summary>A task began waiting for its run_after: whoever times them looks again after the commit.</summary>
    private void AnnounceDelayed(WriteContext context)
    {
        if (_live.TakeDelayedAdded()) context.AfterCommit(_signals.Delayed.Pulse);
    }

    public Task<DateTimeOffset?> ReleaseDueAsync(CancellationToken cancellationToken) =>
        _writer.WriteAsync(context =>
        {
            var released = _live.ReleaseDue(_time.GetUtcNow());
            foreach (var task in released) Write(context, task);
            if (released.Count > 0) context.AfterCommit(_signals.TasksReady.Pulse);
            return _live.NextRunAfter;
        }, cancellationToken);

    /// <summary>A task's state, live or stored; null when there is no such task.</summary>
    private TaskState? StateOf(WriteContext context, Guid id) => _live.TryGetTask(id, out var live) ? live.Status : LoadState(context, id);

    private static TaskState? LoadState(WriteContext context, Guid id) =>
        context.Query("SELECT status FROM tasks WHERE id = $id", r => Enums.Parse<TaskState>(r.GetString(0)), ("$id", id.ToString())) is [var state] ? state : null;

    public Task<DeleteOutcome> DeleteAsync(Guid id, CancellationToken cancellationToken) =>
        _writer.WriteAsync(context =>
        {
            if (_live.TryGetTask(id, out _)) return DeleteOutcome.NotEnded;
            if (LoadTask(context, id) is null) return DeleteOutcome.NotFound;
            context.Execute("DELETE FROM executions WHERE task_id = $id", ("$id", id.ToString()));
            context.Execute("DELETE FROM tasks WHERE id = $id", ("$id", id.ToString()));
            return DeleteOutcome.Deleted;
        }, cancellationToken);

    public Task<ResubmitOutcome> ResubmitAsync(IReadOnlyList<Guid> ids, CancellationToken cancellationToken) =>
        _writer.WriteAsync(context =>
        {
            var found = ids.Select(id => (Id: id, Task: _live.TryGetTask(id, out var live) ? live : LoadTask(context, id))).ToList();
            var unknown = found.Where(f => f.Task is null).Select(f => f.Id).ToList();
            var notEnded = found.Where(f => f.Task is { } t && !TaskStateRules.IsEnded(t.Status)).Select(f => f.Id).ToList();
            if (unknown.Count > 0 || notEnded.Count > 0) return new ResubmitOutcome([], unknown, notEnded);

            // Created as any new task is: with the same requirements, so it starts as they allow.
            var outcomes = Create(context, [.. found.Select(f => TaskDefinition.ResubmissionOf(f.Task!, Ids.New()))]);
            var created = outcomes.Select(o => o.Task).ToList();
            foreach (var task in created)
                context.Execute("UPDATE tasks SET resubmitted = $new WHERE id = $old", ("$new", task.Id.ToString()), ("$old", task.ResubmittedFrom!.Value.ToString()));
            return new ResubmitOutcome(created, [], []);
        }, cancellationToken);

    /// <summary>
    /// Deletes the ended tasks the filter selects in steps of a few milliseconds (<see cref="PurgeSteps"/>,
    /// at most <see cref="StoreOptions.PurgeBatch"/>), each committed alone when no other write waits.
    /// </summary>
    public async Task<PurgeOutcome> PurgeAsync(Query.Filter filter, CancellationToken cancellationToken)
    {
        const string ended = "status IN ('succeeded', 'failed', 'canceled')";
        var refused = await _writer.WriteAsync(context =>
        {
            var dialect = new SqliteDialect();
            return context.QueryOnce($"SELECT id FROM tasks WHERE {Query.SqlFilter.Where(filter, dialect)} AND NOT {ended} ORDER BY seq",
                r => Guid.Parse(r.GetString(0)), dialect.Parameters);
        }, cancellationToken);
        var total = 0;
        // Steps of a few milliseconds each, so that the dispatch's writes never wait long for one.
        var steps = new PurgeSteps(_options.PurgeBatch);
        while (!steps.Done)
        {
            var size = steps.Size;
            var took = TimeSpan.Zero;
            var deleted = await _writer.WriteAsync(context =>
            {
                var began = System.Diagnostics.Stopwatch.GetTimestamp();
                var dialect = new SqliteDialect();
                // "+status": the ended states are not looked up through the status index (SQLite would
                // choose it): past the first rows that match, every step would walk the ended tasks the
                // filter keeps (seconds a step at ten million, purging the oldest million by time).
                var ids = context.QueryOnce(
                    $"DELETE FROM tasks WHERE seq IN (SELECT seq FROM tasks WHERE {Query.SqlFilter.Where(filter, dialect)} AND +{ended} LIMIT {size}) RETURNING id",
                    r => r.GetString(0), dialect.Parameters);
                if (ids.Count > 0)
                {
                    context.Execute("DELETE FROM executions WHERE task_id IN (SELECT value FROM json_each($ids))", ("$ids", SqliteValues.JsonOrNull(ids)));
                }
                took = System.Diagnostics.Stopwatch.GetElapsedTime(began);
                return ids.Count;
            }, cancellationToken, background: true);
            total += deleted;
            steps.Took(deleted, took);
        }
        return new PurgeOutcome(total, refused);
    }

    public Task<WorkerRecord> RegisterWorkerAsync(WorkerRegistration registration, CancellationToken cancellationToken) =>
        _writer.WriteAsync(context =>
        {
            var worker = WorkerRecords.FromRegistration(registration, Ids.New(), _time.GetUtcNow());
            context.Execute(
                "INSERT INTO workers (id, name, hostname, pid, concurrency, prefetch, batch, handlers, status, registered, last_seen, recyclable) " +
                "VALUES ($id, $name, $hostname, $pid, $concurrency, $prefetch, $batch, $handlers, $status, $registered, $registered, $recyclable)",
                ("$id", worker.Id.ToString()), ("$name", worker.Name), ("$hostname", SqliteValues.TextOrNull(worker.Hostname)),
                ("$pid", SqliteValues.Number(worker.Pid)), ("$concurrency", worker.Concurrency), ("$prefetch", WorkerRecords.StoredPrefetch(worker)),
                ("$batch", SqliteValues.TextOrNull(worker.Batch)), ("$handlers", SqliteValues.JsonOrNull(worker.Handlers)),
                ("$status", Enums.Name(worker.Status)), ("$registered", SqliteValues.Time(worker.Registered)),
                ("$recyclable", worker.Recyclable ? 1 : 0));
            _live.AddWorker(new LiveWorker(worker.Id, worker.Batch, worker.Status, worker.LastSeen, worker.Handlers));
            return worker;
        }, cancellationToken);

    public Task<IReadOnlyList<LeasedTask>> LeaseAsync(Guid workerId, int max, CancellationToken cancellationToken) =>
        // Every waiting worker is woken by a "tasks ready" signal and all but one find nothing: they
        // are answered without a commit of the one writer.
        _live.LeaseFindsNothing(workerId, _time.GetUtcNow()) ? Task.FromResult<IReadOnlyList<LeasedTask>>([]) :
        _writer.WriteAsync<IReadOnlyList<LeasedTask>>(context =>
        {
            var now = _time.GetUtcNow();
            var worker = Touch(context, workerId, WorkerState.Running, now);
            // Checkpoint: at-least-once. The lease lasts LeaseTimeout unless the worker's heartbeats
            // renew it; when it expires the task is queued again and runs elsewhere.
            var leases = _live.Lease(worker, max, now, now + _options.LeaseTimeout);
            foreach (var lease in leases) Save(context, lease, output: true);
            return leases.Select(Lifecycle.ToLeasedTask).ToList();
        }, cancellationToken, durable: false);

    public Task<ReportResult> ReportAsync(Guid workerId, WorkerReport report, CancellationToken cancellationToken) =>
        _writer.WriteAsync(context =>
        {
            var now = _time.GetUtcNow();
            var worker = Touch(context, workerId, report.State, now);
            if (report.Stats is { } stats)
                context.Execute("UPDATE workers SET stats = $stats WHERE id = $id", ("$stats", SqliteValues.JsonOrNull(stats with { At = now })), ("$id", workerId.ToString()));
            var stale = new List<Guid>();
            var ended = new List<TaskRecord>();
            var requeued = false;
            foreach (var e in report.Events)
            {
                if (_live.Apply(workerId, e, now, _options.OutputLimitBytes) is not { } t)
                {
                    stale.Add(e.ExecutionId);
                    continue;
                }
                Save(context, t, output: e.Type is ReportEventType.Output or ReportEventType.Finished);
                if (e.Type == ReportEventType.Output) context.Announce(TaskOutputChunk.From(t.Task.Id, e));
                requeued |= t.TaskQueued;
                if (!t.TaskEnded) continue;
                ended.Add(t.Task);
                requeued |= Settle(context, t.Task, now, ended);
            }
            if (report.State == WorkerState.Stopped)
            {
                // A worker that stopped holds nothing, even a lease whose answer it never read.
                foreach (var t in _live.ReleaseAll(worker, now)) Save(context, t, output: false);
                requeued = true;
            }
            // The heartbeat: the leases the worker holds live another LeaseTimeout.
            var renewed = _live.Renew(worker, report.Held, now, _options.LeaseTimeout);
            if (renewed.Count > 0)
            {
                context.Execute("UPDATE tasks SET lease_expires = $expires WHERE id IN (SELECT value FROM json_each($ids))",
                    ("$expires", SqliteValues.Time(now + _options.LeaseTimeout)),
                    ("$ids", SqliteValues.IdsJson(renewed.Select(t => t.Id).ToList())));
            }
            context.AfterCommit(() =>
            {
                _signals.Ended(ended);
                if (requeued) _signals.TasksReady.Pulse();
            });
            return new ReportResult(stale);
        }, cancellationToken, durable: Durability.Needed(report));

    public Task<int> ExpireLeasesAsync(CancellationToken cancellationToken) =>
        _writer.WriteAsync(context =>
        {
            var now = _time.GetUtcNow();
            var expired = _live.Expire(now);
            foreach (var t in expired) Save(context, t, output: false);
            foreach (var worker in _live.LoseSilentWorkers(now - _options.LeaseTimeout))
                context.Execute("UPDATE workers SET status = 'lost' WHERE id = $id", ("$id", worker.Id.ToString()));
            if (expired.Count > 0) context.AfterCommit(_signals.TasksReady.Pulse);
            return expired.Count;
        }, cancellationToken);

    public Task<int> PurgeWorkersAsync(DateTimeOffset before, CancellationToken cancellationToken) =>
        _writer.WriteAsync(context =>
        {
            var purged = context.QueryOnce(
                "DELETE FROM workers WHERE status IN ('stopped', 'lost') AND last_seen < $before AND NOT EXISTS " +
                $"(SELECT 1 FROM tasks t WHERE t.worker_id = workers.id AND {TaskRows.IsOpenT}) RETURNING id",
                r => Guid.Parse(r.GetString(0)), [("$before", SqliteValues.Time(before))]);
            purged.ForEach(_live.RemoveWorker);
            return purged.Count;
        }, cancellationToken, durable: false);

    public Task<TaskRecord?> GetTaskAsync(Guid id, CancellationToken cancellationToken) => _reader.GetTaskAsync(id, cancellationToken);

    public Task<IReadOnlyList<TaskRecord>> GetTasksAsync(IReadOnlyCollection<Guid> ids, bool includeOutput, CancellationToken cancellationToken) =>
        _reader.GetTasksAsync(ids, includeOutput, cancellationToken);

    public Task<IReadOnlyDictionary<Guid, TaskState>> GetStatesAsync(IReadOnlyCollection<Guid> ids, CancellationToken cancellationToken) =>
        _reader.GetStatesAsync(ids, cancellationToken);

    public Task<IReadOnlyList<TaskLook>> LookAsync(IReadOnlyCollection<Guid> ids, CancellationToken cancellationToken) =>
        _reader.LookAsync(ids, cancellationToken);

    public Task<IReadOnlyList<TaskRecord>> ListTasksAsync(TaskListFilter filter, CancellationToken cancellationToken) =>
        _reader.ListTasksAsync(filter, cancellationToken);

    public Task<IReadOnlyList<TaskRecord>> QueryTasksAsync(Query.TaskQuery query, CancellationToken cancellationToken) =>
        _reader.QueryTasksAsync(query, cancellationToken);

    public Task<long> CountTasksAsync(Query.Filter filter, CancellationToken cancellationToken) =>
        _reader.CountTasksAsync(filter, cancellationToken);

    public Task<IReadOnlyList<ExecutionRecord>> ListExecutionsAsync(Guid taskId, CancellationToken cancellationToken) =>
        _reader.ListExecutionsAsync(taskId, cancellationToken);

    public Task<ExecutionRecord?> GetExecutionAsync(Guid id, CancellationToken cancellationToken) =>
        _reader.GetExecutionAsync(id, cancellationToken);

    public Task<IReadOnlyList<WorkerRecord>> ListWorkersAsync(CancellationToken cancellationToken) => _reader.ListWorkersAsync(cancellationToken);

    public Task<WorkerRecord?> GetWorkerAsync(Guid id, CancellationToken cancellationToken) => _reader.GetWorkerAsync(id, cancellationToken);

    public ValueTask DisposeAsync() => _writer.DisposeAsync();

    private LiveWorker Touch(WriteContext context, Guid workerId, WorkerState state, DateTimeOffset now)
    {
        var worker = _live.Touch(workerId, state, now);
        context.Execute("UPDATE workers SET last_seen = $now, status = $status WHERE id = $id",
            ("$now", SqliteValues.Time(now)), ("$status", Enums.Name(state)), ("$id", workerId.ToString()));
        return worker;
    }

    private static TaskRecord? LoadTask(WriteContext context, Guid id) =>
        context.Query($"SELECT {TaskRows.OutputColumns} FROM tasks WHERE id = $id", TaskRows.ReadTask, ("$id", id.ToString()))
            .FirstOrDefault();

    /// <summary>A task's new state without an execution change, written and announced to followers.</summary>
    private void Write(WriteContext context, TaskRecord task)
    {
        TaskRows.UpdateChanged(context, before: null, task, output: false);
        context.Announce(task, created: false);
    }

    /// <summary>
    /// Writes a transition: the task row always (what changed of it), an execution row only when the
    /// execution closes and the task row does not describe it (<see cref="TaskRows.DescribedExecution"/>:
    /// the open one, and the last one of an ended task). So a task that runs once is three row writes:
    /// create, lease, finish; an attempt that is retried, lost or handed back gets a row of its own.
    /// </summary>
    private void Save(WriteContext context, Transition transition, bool output)
    {
        context.Announce(transition.Task, created: false);
        TaskRows.UpdateChanged(context, transition.Before, transition.Task, output);
        if (!transition.Execution.IsOpen && TaskRows.DescribedExecution(transition.Task) != transition.Execution)
            TaskRows.InsertClosedExecution(context.Raw(TaskRows.InsertExecution), transition.Execution);
    }

}
