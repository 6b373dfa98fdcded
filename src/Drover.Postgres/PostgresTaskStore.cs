using Drover.Contracts;
using Drover.Dispatch;
using Drover.Json;
using Drover.Model;
using Drover.Query;
using Drover.Storage;
using Drover.Validation;
using Npgsql;

namespace Drover.Postgres;

/// <summary>
/// The task database in PostgreSQL, for several Drover servers on one database. Unlike the SQLite
/// store, nothing is decided from memory: every write locks the rows it changes, leasing takes ready
/// tasks with <c>FOR UPDATE SKIP LOCKED</c> (two servers never hand one task to two workers), and
/// the lifecycle is the same pure <see cref="Lifecycle"/> every store applies. Commits announce
/// themselves to the other servers with NOTIFY (<see cref="PostgresNotifications"/>).
/// </summary>
public sealed partial class PostgresTaskStore : ITaskStore, IRecruitmentStore, IAccessStore, IAsyncDisposable
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly StoreOptions _options;
    private readonly StoreSignals _signals;
    private readonly TimeProvider _time;
    private readonly PostgresTaskReader _reader;
    private readonly PostgresNotifications _notifications;
    private readonly PostgresEventRelay _relay;
    private readonly TaskEvents? _events;

    public PostgresTaskStore(PostgresStoreOptions postgres, StoreOptions options, StoreSignals signals, TimeProvider time, TaskEvents? events = null)
    {
        _events = events;
        _dataSource = NpgsqlDataSource.Create(PostgresConnection.WithDefaults(postgres.ConnectionString));
        _options = options;
        _signals = signals;
        _time = time;
        PostgresSchema.MigrateAsync(_dataSource, CancellationToken.None).GetAwaiter().GetResult();
        _reader = new PostgresTaskReader(_dataSource);
        _relay = new PostgresEventRelay(events, (ids, stop) => _reader.GetTasksAsync(ids, includeOutput: false, stop));
        _notifications = new PostgresNotifications(_dataSource, signals, _relay);
    }

    public bool KeepsHistory => true;

    public Task<IReadOnlyList<CreateOutcome>> CreateAsync(IReadOnlyList<TaskDefinition> tasks, CancellationToken cancellationToken) =>
        WriteAsync<IReadOnlyList<CreateOutcome>>(async (tx, changes) => await CreateAsync(tx, changes, tasks, cancellationToken), cancellationToken);

    /// <summary>Inserts the tasks in a write's transaction, each starting as its requirements allow, with their dependency rows.</summary>
    private async Task<List<CreateOutcome>> CreateAsync(Transaction tx, Changes changes, IReadOnlyList<TaskDefinition> tasks, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        var records = tasks.Select(d => d.ToQueuedRecord(now, seq: 0)).ToList();
        if (tasks.Any(t => t.Requires is { Count: > 0 }))
        {
            var existing = (await tx.QueryAsync("SELECT id FROM tasks WHERE id = ANY($1)", r => r.GetGuid(0), cancellationToken,
                tasks.Select(t => t.Id).ToArray())).ToHashSet();
            var fresh = tasks.Where(t => !existing.Contains(t.Id)).ToList();
            // FOR SHARE: a requirement cannot end between this read and our commit, so its end
            // either is seen here or finds our dependency rows and settles the new task.
            var states = (await tx.QueryAsync("SELECT id, status FROM tasks WHERE id = ANY($1) FOR SHARE",
                    r => (Id: r.GetGuid(0), Status: Enums.Parse<TaskState>(r.GetString(1))), cancellationToken,
                    Dependencies.OutsideRequirements(fresh).ToArray()))
                .ToDictionary(r => r.Id, r => r.Status);
            var starts = Dependencies.Starts(fresh, id => states.TryGetValue(id, out var state) ? state : null);
            records = [.. records.Select(t => starts.TryGetValue(t.Id, out var start) ? Dependencies.Apply(t, start, now) : t)];
        }
        records = [.. records.Select(t => Dependencies.Delay(t, now))];
        var inserted = (await tx.QueryAsync(PgWrites.InsertNewTasks(records), r => (Id: r.GetGuid(0), Seq: r.GetInt64(1)), cancellationToken))
            .ToDictionary(r => r.Id, r => r.Seq);
        // An id given twice in one request is created once, by its first occurrence.
        var seqs = records.Select(t => inserted.Remove(t.Id, out var seq) ? seq : (long?)null).ToList();
        var created = records.Where((_, i) => seqs[i] is not null).ToList();
        await tx.ExecuteAsync(created.Where(t => t.Requires is { Count: > 0 }).Select(t => PgRows.Command(
            "INSERT INTO dependencies (requirement, task) SELECT r, $2 FROM unnest($1::uuid[]) r ON CONFLICT DO NOTHING", t.Requires!.ToArray(), t.Id)), cancellationToken);
        var missing = records.Where((_, i) => seqs[i] is null).Select(t => t.Id).ToList();
        var found = missing.Count == 0 ? [] : (await tx.QueryAsync($"SELECT {PgRows.OutputColumns} FROM tasks WHERE id = ANY($1)",
            PgRows.ReadTask, cancellationToken, missing.ToArray())).ToDictionary(t => t.Id);
        var outcomes = records.Select((t, i) => seqs[i] is { } seq
            ? new CreateOutcome(t with { Seq = seq }, Created: true)
            : new CreateOutcome(found[t.Id], Created: false)).ToList();
        changes.Ready |= outcomes.Any(o => o.Created && o.Task.Status == TaskState.Queued);
        changes.Delayed |= outcomes.Any(o => o.Created && o.Task.Status == TaskState.Pending && o.Task.RunAfter is not null);
        changes.Created.AddRange(outcomes.Where(o => o.Created).Select(o => o.Task));
        changes.Ended.AddRange(outcomes.Where(o => o.Created && o.Task.Status == TaskState.Canceled).Select(o => o.Task));
        return outcomes;
    }

    public Task<CancelOutcome> CancelAsync(Guid id, string reason, CancellationToken cancellationToken) =>
        WriteAsync(async (tx, changes) =>
        {
            var task = (await tx.QueryAsync($"SELECT {PgRows.OutputColumns} FROM tasks WHERE id = $1 FOR UPDATE", PgRows.ReadTask, cancellationToken, id)).FirstOrDefault();
            if (task is null) return CancelOutcome.Missing;
            if (TaskStateRules.IsEnded(task.Status)) return CancelOutcome.Ended(task);
            var now = _time.GetUtcNow();
            var writes = new Writes(now);
            var canceled = TaskStateRules.IsLeased(task.Status)
                ? writes.Add(Lifecycle.Cancel(task, Lifecycle.OpenExecution(task)!, reason, now), output: false)
                : writes.Add(task with { Status = TaskState.Canceled, Reason = reason, Completed = now });
            // A leased one carries a kill for its worker (TakeSignalsAsync finds it by signal_pending).
            if (task.WorkerId is { } worker && TaskStateRules.IsLeased(task.Status)) changes.SignaledWorkers.Add(worker);
            await writes.FlushAsync(tx, changes, cancellationToken);
            return CancelOutcome.Canceled(canceled);
        }, cancellationToken);

    public Task<UpdateOutcome> UpdateAsync(Guid id, TaskEdit edit, CancellationToken cancellationToken) =>
        WriteAsync(async (tx, changes) =>
        {
            // With args: a definition left alone is written back as it was.
            var task = (await tx.QueryAsync($"SELECT {PgRows.OutputColumns} FROM tasks WHERE id = $1 FOR UPDATE", PgRows.ReadTask, cancellationToken, id)).FirstOrDefault();
            if (task is null) return UpdateOutcome.Missing;
            if (!edit.AllowedFor(task.Status)) return UpdateOutcome.Refused(task);
            var edited = edit.ApplyTo(task);
            await tx.ExecuteAsync([PgRows.Command(
                "UPDATE tasks SET name = $1, priority = $2, retry = $3, timeout_ms = $4, command = $5, shell = $6, handler = $7, args = $8, env = $9 WHERE id = $10",
                edited.Name, edited.Priority, edited.Retry, edited.Timeout is { } t ? (long)t.TotalMilliseconds : null,
                PgRows.JsonText(edited.Command), edited.Shell, edited.Handler, PgRows.JsonText(edited.Args), PgRows.JsonText(edited.Env), id)], cancellationToken);
            changes.Changed.Add(edited);
            return UpdateOutcome.Updated(edited);
        }, cancellationToken);

    public Task<DeleteOutcome> DeleteAsync(Guid id, CancellationToken cancellationToken) =>
        WriteAsync(async (tx, _) =>
        {
            var task = (await tx.QueryAsync($"SELECT {PgRows.Columns} FROM tasks WHERE id = $1 FOR UPDATE", PgRows.ReadTask, cancellationToken, id)).FirstOrDefault();
            if (task is null) return DeleteOutcome.NotFound;
            if (!TaskStateRules.IsEnded(task.Status)) return DeleteOutcome.NotEnded;
            await tx.ExecuteAsync([PgRows.Command("DELETE FROM executions WHERE task_id = $1", id), PgRows.Command("DELETE FROM tasks WHERE id = $1", id)], cancellationToken);
            return DeleteOutcome.Deleted;
        }, cancellationToken);

    public Task<ResubmitOutcome> ResubmitAsync(IReadOnlyList<Guid> ids, CancellationToken cancellationToken) =>
        WriteAsync(async (tx, changes) =>
        {
            var found = (await tx.QueryAsync($"SELECT {PgRows.OutputColumns} FROM tasks WHERE id = ANY($1) FOR UPDATE",
                PgRows.ReadTask, cancellationToken, ids.ToArray())).ToDictionary(t => t.Id);
            var unknown = ids.Where(id => !found.ContainsKey(id)).ToList();
            var notEnded = ids.Where(id => found.TryGetValue(id, out var t) && !TaskStateRules.IsEnded(t.Status)).ToList();
            if (unknown.Count > 0 || notEnded.Count > 0) return new ResubmitOutcome([], unknown, notEnded);

            // Created as any new task is: with the same requirements, so it starts as they allow.
            var created = (await CreateAsync(tx, changes, [.. ids.Select(id => TaskDefinition.ResubmissionOf(found[id], Ids.New()))], cancellationToken))
                .Select(o => o.Task).ToList();
            await tx.ExecuteAsync(created.Select(t => PgRows.Command("UPDATE tasks SET resubmitted = $1 WHERE id = $2", t.Id, t.ResubmittedFrom)), cancellationToken);
            return new ResubmitOutcome(created, [], []);
        }, cancellationToken);

    /// <summary>Deletes the ended tasks the filter selects, <see cref="StoreOptions.PurgeBatch"/> per transaction, so dispatch goes on between.</summary>
    public async Task<PurgeOutcome> PurgeAsync(Filter filter, CancellationToken cancellationToken)
    {
        var refused = await WriteAsync(async (tx, _) =>
        {
            var dialect = new PostgresDialect();
            return await tx.QueryNamedAsync($"SELECT id FROM tasks WHERE {SqlFilter.Where(filter, dialect)} AND NOT {PgRows.Ended} ORDER BY seq",
                r => r.GetGuid(0), dialect.Parameters, cancellationToken);
        }, cancellationToken);
        var total = 0;
        while (true)
        {
            var deleted = await WriteAsync(async (tx, _) =>
            {
                var dialect = new PostgresDialect();
                var ids = await tx.QueryNamedAsync(
                    $"DELETE FROM tasks WHERE seq IN (SELECT seq FROM tasks WHERE {SqlFilter.Where(filter, dialect)} AND {PgRows.Ended} " +
                    $"LIMIT {_options.PurgeBatch}) RETURNING id",
                    r => r.GetGuid(0), dialect.Parameters, cancellationToken);
                if (ids.Count > 0) await tx.ExecuteAsync([PgRows.Command("DELETE FROM executions WHERE task_id = ANY($1)", ids.ToArray())], cancellationToken);
                return ids.Count;
            }, cancellationToken);
            total += deleted;
            if (deleted < _options.PurgeBatch) return new PurgeOutcome(total, refused);
        }
    }

    public Task<WorkerRecord> RegisterWorkerAsync(WorkerRegistration registration, CancellationToken cancellationToken) =>
        WriteAsync(async (tx, _) =>
        {
            var worker = WorkerRecords.FromRegistration(registration, Ids.New(), _time.GetUtcNow());
            await tx.ExecuteAsync([PgRows.Command(
                "INSERT INTO workers (id, name, hostname, pid, concurrency, prefetch, batch, handlers, status, registered, last_seen, recyclable) " +
                "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, $11)",
                worker.Id, worker.Name, worker.Hostname, worker.Pid, worker.Concurrency, WorkerRecords.StoredPrefetch(worker), worker.Batch,
                PgRows.JsonText(worker.Handlers), Enums.Name(worker.Status), worker.Registered, worker.Recyclable)], cancellationToken);
            return worker;
        }, cancellationToken);

    public Task<IReadOnlyList<LeasedTask>> LeaseAsync(Guid workerId, int max, CancellationToken cancellationToken) =>
        WriteAsync<IReadOnlyList<LeasedTask>>(async (tx, _) =>
        {
            var now = _time.GetUtcNow();
            var (batch, holdsBack, handlers) = await TouchAsync(tx, workerId, WorkerState.Running, now, cancellationToken);
            if (holdsBack) return [];
            // Checkpoint: at-least-once. Rows another server is leasing right now are skipped, not waited for.
            // Only commands, and tasks naming a handler (or needing a container engine) this worker offers.
            var ready = await tx.QueryAsync(
                $"SELECT {PgRows.OutputColumns} FROM tasks WHERE status = 'queued' AND " +
                $"(CASE WHEN handler IS NOT NULL THEN handler = ANY($2) WHEN container IS NOT NULL THEN '{ContainerTasks.Capability}' = ANY($2) ELSE true END)" +
                $"{(batch is null ? "" : " AND batch = $3")} " +
                "AND NOT EXISTS (SELECT 1 FROM batches b WHERE b.name = tasks.batch AND b.paused) " +
                "ORDER BY priority DESC, seq LIMIT $1 FOR UPDATE SKIP LOCKED",
                PgRows.ReadTask, cancellationToken, batch is null ? [max, handlers] : [max, handlers, batch]);
            var leases = ready.Select(t => Lifecycle.Lease(t, workerId, Ids.New(), now, now + _options.LeaseTimeout)).ToList();
            await tx.ExecuteAsync(PgWrites.UpdateTaskStates(leases.Select(l => (l.Task, true))), cancellationToken);
            return leases.Select(Lifecycle.ToLeasedTask).ToList();
        }, cancellationToken, durable: false);

    public Task<ReportResult> ReportAsync(Guid workerId, WorkerReport report, CancellationToken cancellationToken) =>
        WriteAsync(async (tx, changes) =>
        {
            var now = _time.GetUtcNow();
            await TouchAsync(tx, workerId, report.State, now, cancellationToken);
            if (report.Stats is { } stats)
                await tx.ExecuteAsync([PgRows.Command("UPDATE workers SET stats = $1 WHERE id = $2", PgRows.JsonText(stats with { At = now }), workerId)], cancellationToken);
            var executionIds = report.Events.Select(e => e.ExecutionId).Distinct().ToArray();
            var open = executionIds.Length == 0 ? [] : (await tx.QueryAsync(
                    $"SELECT {PgRows.OutputColumns} FROM tasks WHERE execution_id = ANY($1) AND worker_id = $2 AND {PgRows.Leased} ORDER BY seq FOR UPDATE",
                    PgRows.ReadTask, cancellationToken, executionIds, workerId))
                .ToDictionary(t => t.ExecutionId!.Value);
            var stale = new List<Guid>();
            var writes = new Writes(now);
            foreach (var e in report.Events)
            {
                if (!open.TryGetValue(e.ExecutionId, out var task)
                    || Lifecycle.Apply(task, Lifecycle.OpenExecution(task)!, e, now, _options.OutputLimitBytes) is not { } t)
                {
                    stale.Add(e.ExecutionId);
                    continue;
                }
                writes.Add(t, output: e.Type is ReportEventType.Output or ReportEventType.Finished);
                if (e.Type == ReportEventType.Output) changes.Output.Add(TaskOutputChunk.From(t.Task.Id, e));
                if (t.Execution.IsOpen) open[e.ExecutionId] = t.Task;
                else open.Remove(e.ExecutionId);
            }
            await writes.FlushAsync(tx, changes, cancellationToken);
            if (report.State == WorkerState.Stopped)
            {
                // A worker that stopped holds nothing, even a lease whose answer it never read.
                var held = await tx.QueryAsync($"SELECT {PgRows.OutputColumns} FROM tasks WHERE worker_id = $1 AND {PgRows.Leased} FOR UPDATE",
                    PgRows.ReadTask, cancellationToken, workerId);
                foreach (var task in held) writes.Add(Lifecycle.Release(task, Lifecycle.OpenExecution(task)!, now), output: false);
                await writes.FlushAsync(tx, changes, cancellationToken);
            }
            await RenewAsync(tx, workerId, report.Held, now, cancellationToken);
            return new ReportResult(stale);
        }, cancellationToken, durable: Durability.Needed(report));

    public Task<SignalOutcome> SetStatusAsync(Guid taskId, Guid? executionId, StatusUpdate status, CancellationToken cancellationToken) =>
        WriteAsync(async (tx, changes) =>
        {
            var task = (await tx.QueryAsync($"SELECT {PgRows.OutputColumns} FROM tasks WHERE id = $1 FOR UPDATE", PgRows.ReadTask, cancellationToken, taskId)).FirstOrDefault();
            if (task is null) return SignalOutcome.Missing;
            if (!TaskStateRules.IsLeased(task.Status) || (executionId is { } execution && task.ExecutionId != execution)) return SignalOutcome.NotRunning(task);
            var updated = Lifecycle.Status(task, status);
            await tx.ExecuteAsync([PgWrites.UpdateTaskState(updated, output: false)], cancellationToken);
            changes.Changed.Add(updated);
            return SignalOutcome.Signaled(updated);
        }, cancellationToken);

    public Task<SignalOutcome> SignalAsync(Guid id, TaskSignal signal, CancellationToken cancellationToken) =>
        WriteAsync(async (tx, changes) =>
        {
            var task = (await tx.QueryAsync($"SELECT {PgRows.OutputColumns} FROM tasks WHERE id = $1 FOR UPDATE", PgRows.ReadTask, cancellationToken, id)).FirstOrDefault();
            if (task is null) return SignalOutcome.Missing;
            if (!TaskStateRules.IsLeased(task.Status)) return SignalOutcome.NotRunning(task);
            var t = Lifecycle.Signal(task, Lifecycle.OpenExecution(task)!, signal, _time.GetUtcNow());
            await tx.ExecuteAsync([PgWrites.UpdateTaskState(t.Task, output: false)], cancellationToken);
            changes.SignaledWorkers.Add(t.Execution.WorkerId);
            changes.Changed.Add(t.Task);
            return SignalOutcome.Signaled(t.Task);
        }, cancellationToken);

    public Task<IReadOnlyList<SignalCommand>> TakeSignalsAsync(Guid workerId, CancellationToken cancellationToken) =>
        WriteAsync<IReadOnlyList<SignalCommand>>(async (tx, _) =>
        {
            // Leased tasks, and tasks canceled while leased (their kill is still to go).
            var waiting = await tx.QueryAsync($"SELECT {PgRows.OutputColumns} FROM tasks WHERE worker_id = $1 AND signal_pending FOR UPDATE",
                PgRows.ReadTask, cancellationToken, workerId);
            var now = _time.GetUtcNow();
            var delivered = waiting.Select(t => Lifecycle.Deliver(t, now)).ToList();
            await tx.ExecuteAsync(PgWrites.UpdateTaskStates(delivered.Select(d => (d.Task, false))), cancellationToken);
            return [.. delivered.SelectMany(d => d.Commands)];
        }, cancellationToken);

    public Task SetBatchPausedAsync(string batch, bool paused, CancellationToken cancellationToken) =>
        WriteAsync(async (tx, changes) =>
        {
            await tx.ExecuteAsync([PgRows.Command("INSERT INTO batches (name, paused) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET paused = $2", batch, paused)],
                cancellationToken);
            changes.Ready |= !paused;
            return true;
        }, cancellationToken);

    public Task<IReadOnlyList<BatchRecord>> ListBatchesAsync(CancellationToken cancellationToken) => _reader.ListBatchesAsync(cancellationToken);

    public Task<IReadOnlyList<BatchRecord>> ListLiveBatchesAsync(CancellationToken cancellationToken) => _reader.ListLiveBatchesAsync(cancellationToken);

    public Task<IReadOnlyDictionary<string, long>> CountQueuedByHandlerAsync(CancellationToken cancellationToken) => _reader.CountQueuedByHandlerAsync(cancellationToken);

    /// <summary>
    /// The heartbeat: the leases the worker says it holds (all, when it does not say) live another
    /// LeaseTimeout. Leases with more than half their time left are not rewritten yet.
    /// </summary>
    private async Task RenewAsync(Transaction tx, Guid workerId, IReadOnlyCollection<Guid>? held, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (held is { Count: 0 }) return;
        var sql = $"UPDATE tasks SET lease_expires = $1 WHERE worker_id = $2 AND {PgRows.Leased} AND lease_expires <= $3";
        await tx.ExecuteAsync([held is null
            ? PgRows.Command(sql, now + _options.LeaseTimeout, workerId, now + _options.LeaseTimeout / 2)
            : PgRows.Command(sql + " AND execution_id = ANY($4)", now + _options.LeaseTimeout, workerId, now + _options.LeaseTimeout / 2, held.ToArray())],
            cancellationToken);
    }

    public Task<int> ExpireLeasesAsync(CancellationToken cancellationToken) =>
        WriteAsync(async (tx, changes) =>
        {
            var now = _time.GetUtcNow();
            var expired = await tx.QueryAsync($"SELECT {PgRows.OutputColumns} FROM tasks WHERE {PgRows.Leased} AND lease_expires < $1 ORDER BY seq FOR UPDATE SKIP LOCKED",
                PgRows.ReadTask, cancellationToken, now);
            var writes = new Writes(now);
            foreach (var task in expired) writes.Add(Lifecycle.Expire(task, Lifecycle.OpenExecution(task)!, now), output: false);
            await writes.FlushAsync(tx, changes, cancellationToken);
            await tx.ExecuteAsync([PgRows.Command("UPDATE workers SET status = 'lost' WHERE status IN ('running', 'paused', 'draining') AND last_seen < $1",
                now - _options.LeaseTimeout)], cancellationToken);
            return expired.Count;
        }, cancellationToken);

    public Task<DateTimeOffset?> ReleaseDueAsync(CancellationToken cancellationToken) =>
        WriteAsync(async (tx, changes) =>
        {
            var now = _time.GetUtcNow();
            // Pending, due, and every requirement succeeded (a task still waiting on one is queued when its last one ends).
            var due = await tx.QueryAsync(
                $"SELECT {PgRows.OutputColumns} FROM tasks t WHERE status = 'pending' AND run_after <= $1 AND NOT EXISTS " +
                "(SELECT 1 FROM dependencies d JOIN tasks r ON r.id = d.requirement WHERE d.task = t.id AND r.status <> 'succeeded') ORDER BY seq FOR UPDATE SKIP LOCKED",
                PgRows.ReadTask, cancellationToken, now);
            var writes = new Writes(now);
            foreach (var task in due) writes.Add(Dependencies.Ready(task));
            await writes.FlushAsync(tx, changes, cancellationToken);
            var next = await tx.QueryAsync("SELECT min(run_after) FROM tasks WHERE status = 'pending' AND run_after > $1",
                r => r.IsDBNull(0) ? (DateTimeOffset?)null : r.GetFieldValue<DateTimeOffset>(0), cancellationToken, now);
            return next[0];
        }, cancellationToken);

    public async Task<int> PurgeWorkersAsync(DateTimeOffset before, CancellationToken cancellationToken)
    {
        await using var command = Command(
            "DELETE FROM workers WHERE status IN ('stopped', 'lost') AND last_seen < $1 AND NOT EXISTS " +
            $"(SELECT 1 FROM tasks t WHERE t.worker_id = workers.id AND t.status IN ('assigned', 'running', 'paused'))", before);
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// Marks the worker seen and reads its settings. The row is written (and so locked until commit)
    /// only when its status changes or it was last seen over a second ago: a worker's lease and report
    /// transactions, which overlap all the time under load, do not queue behind each other's lock on
    /// its row (they did, for tens of milliseconds each).
    /// </summary>
    /// <returns>The worker's batch (it leases only from it) or null, and whether it is told to take no new work.</returns>
    private static async Task<(string? Batch, bool HoldsBack, string[] Handlers)> TouchAsync(Transaction tx, Guid workerId, WorkerState state, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var found = await tx.QueryAsync(
            "WITH seen AS (UPDATE workers SET last_seen = $1, status = $2 WHERE id = $3 AND (status <> $2 OR last_seen < $1 - interval '1 second')) " +
            "SELECT batch, paused OR drain, handlers FROM workers WHERE id = $3",
            r => (Batch: r.IsDBNull(0) ? null : r.GetString(0), HoldsBack: r.GetBoolean(1),
                Handlers: r.IsDBNull(2) ? [] : System.Text.Json.JsonSerializer.Deserialize<string[]>(r.GetString(2)) ?? []),
            cancellationToken, now, Enums.Name(state), workerId);
        if (found.Count == 0) throw new UnknownWorkerException(workerId);
        return found[0];
    }

    public Task<WorkerRecord?> UpdateWorkerAsync(Guid workerId, WorkerSettings settings, bool drain, CancellationToken cancellationToken) =>
        WriteAsync(async (tx, changes) =>
        {
            if ((await tx.QueryAsync($"SELECT {PgRows.WorkerColumns} FROM workers WHERE id = $1 FOR UPDATE", PgRows.ReadWorker, cancellationToken, workerId))
                is not [var worker]) return null;
            var updated = WorkerRecords.Apply(worker, settings, drain);
            await tx.ExecuteAsync([PgRows.Command(
                "UPDATE workers SET concurrency = $1, prefetch = $2, batch = $3, paused = $4, drain = $5, control_pending = true WHERE id = $6",
                updated.Concurrency, WorkerRecords.StoredPrefetch(updated), updated.Batch, updated.Paused, updated.Drain, workerId)], cancellationToken);
            changes.SignaledWorkers.Add(workerId);
            return (WorkerRecord?)updated;
        }, cancellationToken);

    public async Task<WorkerControl?> TakeControlAsync(Guid workerId, CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand(
            "UPDATE workers SET control_pending = false WHERE id = $1 AND control_pending RETURNING concurrency, prefetch, batch, paused, drain");
        command.Parameters.Add(PgRows.Parameter(workerId));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken)) return null;
        return new WorkerControl
        {
            Concurrency = reader.GetInt32(0),
            Prefetch = Math.Max(reader.GetInt32(1), 0),
            PrefetchAuto = reader.GetInt32(1) < 0,
            Batch = reader.IsDBNull(2) ? null : reader.GetString(2),
            Paused = reader.GetBoolean(3),
            Drain = reader.GetBoolean(4),
        };
    }

    /// <summary>
    /// Runs one write in its own transaction and, once it has committed, raises the signals it
    /// calls for: here directly, on the other servers through NOTIFY sent in the transaction.
    /// </summary>
    /// <param name="durable">
    /// False for a write that may be lost with the machine (<see cref="Durability"/>): it commits without
    /// waiting for its WAL to be flushed (<see cref="Transaction.SkipFlushAtCommit"/>); the next durable
    /// commit flushes the WAL, and with it every write before it.
    /// </param>
    private async Task<T> WriteAsync<T>(Func<Transaction, Changes, Task<T>> write, CancellationToken cancellationToken, bool durable = true)
    {
        try
        {
            return await WriteOnceAsync(write, durable, cancellationToken);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.DiskFull)
        {
            // 53100 disk_full: the transaction was rolled back, nothing of it is written.
            throw new StorageFullException(ex);
        }
    }

    private async Task<T> WriteOnceAsync<T>(Func<Transaction, Changes, Task<T>> write, bool durable, CancellationToken cancellationToken)
    {
        var began = System.Diagnostics.Stopwatch.GetTimestamp();
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var changes = new Changes();
        var tx = new Transaction(connection, transaction) { SkipFlushAtCommit = !durable };
        var result = await write(tx, changes);
        var notify = PostgresNotifications.Commands(changes.Ready, [.. changes.Ended.Select(t => t.Id)], changes.SignaledWorkers)
            .Concat(_relay.Commands(changes.Created, changes.Changed, changes.Output)).ToList();
        if (notify.Count > 0) await tx.ExecuteAsync(notify, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        Observability.TaskMetrics.Committed(System.Diagnostics.Stopwatch.GetElapsedTime(began), Math.Max(1, changes.Created.Count + changes.Changed.Count));
        if (changes.Created.Count > 0) Observability.TaskMetrics.Created(changes.Created);
        if (changes.Ended.Count > 0) _signals.Ended(changes.Ended);
        if (changes.Ready) _signals.TasksReady.Pulse();
        if (changes.Delayed) _signals.Delayed.Pulse();
        foreach (var worker in changes.SignaledWorkers) _signals.SignalWorker(worker);
        _events?.Publish(changes.Created, created: true);
        _events?.Publish(changes.Changed);
        _events?.PublishOutput(changes.Output);
        return result;
    }

    /// <summary>What a committed write must announce.</summary>
    private sealed class Changes
    {
        public bool Ready { get; set; }
        /// <summary>A task began waiting for its run_after.</summary>
        public bool Delayed { get; set; }
        public List<TaskRecord> Ended { get; } = [];
        public HashSet<Guid> SignaledWorkers { get; } = [];
        /// <summary>Tasks created and tasks changed, for followers.</summary>
        public List<TaskRecord> Created { get; } = [];
        public List<TaskRecord> Changed { get; } = [];
        /// <summary>Output streamed by workers, for followers here and on the other servers.</summary>
        public List<TaskOutputChunk> Output { get; } = [];
    }

    /// <summary>
    /// Changes to write: each task row once (its last state), every execution that closed, and then
    /// what the tasks that ended do to the tasks that require them, down the graph.
    /// </summary>
    private sealed class Writes(DateTimeOffset now)
    {
        private readonly Dictionary<long, (TaskRecord Task, bool Output)> _tasks = [];
        private readonly List<ExecutionRecord> _closed = [];

        public TaskRecord Add(Transition t, bool output)
        {
            _tasks[t.Task.Seq] = (t.Task, output || (_tasks.TryGetValue(t.Task.Seq, out var before) && before.Output));
            if (!t.Execution.IsOpen) _closed.Add(t.Execution);
            return t.Task;
        }

        /// <summary>A task's new state without an execution (dependencies, cancel before a lease).</summary>
        public TaskRecord Add(TaskRecord task)
        {
            _tasks[task.Seq] = (task, _tasks.TryGetValue(task.Seq, out var before) && before.Output);
            return task;
        }

        public async Task FlushAsync(Transaction tx, Changes changes, CancellationToken cancellationToken)
        {
            while (true)
            {
                await tx.ExecuteAsync(PgWrites.UpdateTaskStates(_tasks.Values).Concat(PgWrites.InsertClosedExecutions(_closed)), cancellationToken);
                var endings = new List<TaskRecord>();
                foreach (var (task, _) in _tasks.Values)
                {
                    changes.Changed.Add(task);
                    if (TaskStateRules.IsEnded(task.Status))
                    {
                        changes.Ended.Add(task);
                        endings.Add(task);
                    }
                    changes.Ready |= task.Status == TaskState.Queued;
                }
                _tasks.Clear();
                _closed.Clear();
                if (endings.Count == 0) return;
                await SettleAsync(tx, endings, changes, cancellationToken);
            }
        }

        /// <summary>
        /// The pending tasks that require any of <paramref name="ended"/>: ready when those were their
        /// last, canceled if one failed. One query for all of them (usually answering none), not one each.
        /// </summary>
        private async Task SettleAsync(Transaction tx, List<TaskRecord> ended, Changes changes, CancellationToken cancellationToken)
        {
            var links = await tx.QueryAsync("SELECT task, requirement FROM dependencies WHERE requirement = ANY($1)",
                r => (Task: r.GetGuid(0), Requirement: r.GetGuid(1)), cancellationToken, ended.Select(t => t.Id).ToArray());
            if (links.Count == 0) return;
            var endedById = ended.ToDictionary(t => t.Id);
            var requirementsOf = links.GroupBy(l => l.Task).ToDictionary(g => g.Key, g => g.Select(l => endedById[l.Requirement]).ToList());
            var dependants = await tx.QueryAsync(
                $"SELECT {PgRows.OutputColumns} FROM tasks WHERE id = ANY($1) AND status = 'pending' ORDER BY seq FOR UPDATE",
                PgRows.ReadTask, cancellationToken, requirementsOf.Keys.ToArray());
            foreach (var task in dependants)
            {
                if (requirementsOf[task.Id].FirstOrDefault(r => r.Status != TaskState.Succeeded) is { } failed)
                {
                    Add(Dependencies.CancelDependant(task, failed.Id, failed.Status, now));
                    continue;
                }
                // The row lock above serializes this with the ends of the task's other requirements.
                var unmet = await tx.QueryAsync(
                    "SELECT count(*) FROM dependencies d JOIN tasks r ON r.id = d.requirement WHERE d.task = $1 AND r.status <> 'succeeded'",
                    r => r.GetInt64(0), cancellationToken, task.Id);
                // Its requirements met, it still waits for its run_after if that has not come (ReleaseDueAsync queues it then).
                if (unmet[0] > 0) continue;
                if (task.RunAfter > now) changes.Delayed = true;
                else Add(Dependencies.Ready(task));
            }
        }
    }

    public Task<TaskRecord?> GetTaskAsync(Guid id, CancellationToken cancellationToken) => _reader.GetTaskAsync(id, cancellationToken);

    public Task<IReadOnlyList<TaskRecord>> GetTasksAsync(IReadOnlyCollection<Guid> ids, bool includeOutput, CancellationToken cancellationToken) =>
        _reader.GetTasksAsync(ids, includeOutput, cancellationToken);

    public Task<IReadOnlyDictionary<Guid, TaskState>> GetStatesAsync(IReadOnlyCollection<Guid> ids, CancellationToken cancellationToken) =>
        _reader.GetStatesAsync(ids, cancellationToken);

    public Task<IReadOnlyList<TaskRecord>> ListTasksAsync(TaskListFilter filter, CancellationToken cancellationToken) =>
        _reader.ListTasksAsync(filter, cancellationToken);

    public Task<IReadOnlyList<TaskRecord>> QueryTasksAsync(TaskQuery query, CancellationToken cancellationToken) =>
        _reader.QueryTasksAsync(query, cancellationToken);

    public Task<long> CountTasksAsync(Filter filter, CancellationToken cancellationToken) => _reader.CountTasksAsync(filter, cancellationToken);

    public Task<IReadOnlyList<ExecutionRecord>> ListExecutionsAsync(Guid taskId, CancellationToken cancellationToken) =>
        _reader.ListExecutionsAsync(taskId, cancellationToken);

    public Task<ExecutionRecord?> GetExecutionAsync(Guid id, CancellationToken cancellationToken) => _reader.GetExecutionAsync(id, cancellationToken);

    public Task<IReadOnlyList<WorkerRecord>> ListWorkersAsync(CancellationToken cancellationToken) => _reader.ListWorkersAsync(cancellationToken);

    public Task<WorkerRecord?> GetWorkerAsync(Guid id, CancellationToken cancellationToken) => _reader.GetWorkerAsync(id, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await _lead.DisposeAsync();
        await _notifications.DisposeAsync();
        await _dataSource.DisposeAsync();
    }
}
