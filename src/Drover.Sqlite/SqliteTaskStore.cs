using Drover.Contracts;
using Drover.Dispatch;
using Drover.Json;
using Drover.Model;
using Drover.Storage;
using Drover.Validation;
using Microsoft.Data.Sqlite;

namespace Drover.Sqlite;

/// <summary>
/// The embedded default task database: one SQLite file in WAL mode. All writes go through one
/// <see cref="SqliteWriter"/> (group commit); reads use their own connections.
/// </summary>
public sealed class SqliteTaskStore : ITaskStore, IAsyncDisposable
{
    private const string LeasedStatuses = "('assigned', 'running', 'paused')";

    private readonly StoreOptions _options;
    private readonly StoreSignals _signals;
    private readonly TimeProvider _time;
    private readonly SqliteWriter _writer;
    private readonly SqliteTaskReader _reader;

    public SqliteTaskStore(SqliteStoreOptions sqlite, StoreOptions options, StoreSignals signals, TimeProvider time)
    {
        _options = options;
        _signals = signals;
        _time = time;
        var directory = Path.GetDirectoryName(Path.GetFullPath(sqlite.Path));
        if (directory is not null) Directory.CreateDirectory(directory);
        var connectionString = new SqliteConnectionStringBuilder { DataSource = sqlite.Path, Pooling = true }.ToString();

        var connection = new SqliteConnection(connectionString);
        connection.Open();
        using (var pragma = connection.CreateCommand())
        {
            pragma.CommandText = $"PRAGMA journal_mode = WAL; PRAGMA synchronous = {(sqlite.SyncToDisk ? "FULL" : "NORMAL")}; PRAGMA busy_timeout = 5000;";
            pragma.ExecuteNonQuery();
        }
        SqliteSchema.Migrate(connection);
        _writer = new SqliteWriter(connection);
        _reader = new SqliteTaskReader(connectionString);
    }

    public Task<IReadOnlyList<CreateOutcome>> CreateAsync(IReadOnlyList<TaskDefinition> tasks, CancellationToken cancellationToken) =>
        _writer.WriteAsync<IReadOnlyList<CreateOutcome>>(context =>
        {
            var now = _time.GetUtcNow();
            var outcomes = new List<CreateOutcome>(tasks.Count);
            foreach (var definition in tasks)
            {
                var task = definition.ToQueuedRecord(now, seq: 0);
                var insert = context.Command(TaskRows.InsertTask);
                TaskRows.BindNewTask(insert, task);
                if (insert.ExecuteScalar() is long seq)
                    outcomes.Add(new CreateOutcome(task with { Seq = seq }, Created: true));
                else
                    outcomes.Add(new CreateOutcome(LoadTask(context, task.Id, output: true)!, Created: false));
            }
            if (outcomes.Any(o => o.Created)) context.AfterCommit(_signals.TasksReady.Pulse);
            return outcomes;
        }, cancellationToken);

    public Task<DeleteOutcome> DeleteAsync(Guid id, CancellationToken cancellationToken) =>
        _writer.WriteAsync(context =>
        {
            var task = LoadTask(context, id, output: false);
            if (task is null) return DeleteOutcome.NotFound;
            if (!TaskStateRules.IsEnded(task.Status)) return DeleteOutcome.NotEnded;
            Execute(context, "DELETE FROM executions WHERE task_id = $id", ("$id", id.ToString()));
            Execute(context, "DELETE FROM tasks WHERE id = $id", ("$id", id.ToString()));
            return DeleteOutcome.Deleted;
        }, cancellationToken);

    public Task<WorkerRecord> RegisterWorkerAsync(WorkerRegistration registration, CancellationToken cancellationToken) =>
        _writer.WriteAsync(context =>
        {
            var worker = WorkerRecords.FromRegistration(registration, Ids.New(), _time.GetUtcNow());
            Execute(context,
                "INSERT INTO workers (id, name, hostname, pid, concurrency, prefetch, batch, handlers, status, registered, last_seen) " +
                "VALUES ($id, $name, $hostname, $pid, $concurrency, $prefetch, $batch, $handlers, $status, $registered, $registered)",
                ("$id", worker.Id.ToString()), ("$name", worker.Name), ("$hostname", SqliteValues.TextOrNull(worker.Hostname)),
                ("$pid", SqliteValues.Number(worker.Pid)), ("$concurrency", worker.Concurrency), ("$prefetch", worker.Prefetch),
                ("$batch", SqliteValues.TextOrNull(worker.Batch)), ("$handlers", SqliteValues.JsonOrNull(worker.Handlers)),
                ("$status", Enums.Name(worker.Status)), ("$registered", SqliteValues.Time(worker.Registered)));
            return worker;
        }, cancellationToken);

    public Task<IReadOnlyList<LeasedTask>> LeaseAsync(Guid workerId, int max, CancellationToken cancellationToken) =>
        _writer.WriteAsync<IReadOnlyList<LeasedTask>>(context =>
        {
            var (status, batch) = TouchWorker(context, workerId, WorkerState.Active);
            if (status != WorkerState.Active) return [];
            var now = _time.GetUtcNow();
            var select = context.Command(batch is null
                ? $"SELECT {TaskRows.LeaseColumns} FROM tasks WHERE status = 'queued' ORDER BY priority DESC, seq LIMIT $max"
                : $"SELECT {TaskRows.LeaseColumns} FROM tasks WHERE status = 'queued' AND batch = $batch ORDER BY priority DESC, seq LIMIT $max");
            select.Parameters.Clear();
            select.Parameters.AddWithValue("$max", max);
            if (batch is not null) select.Parameters.AddWithValue("$batch", batch);
            var ready = ReadAll(select, TaskRows.ReadTask);

            var leased = new List<LeasedTask>(ready.Count);
            foreach (var task in ready)
            {
                // Checkpoint: at-least-once. The lease lasts LeaseTimeout unless the worker's heartbeats
                // renew it; when it expires the task is queued again and runs elsewhere.
                var lease = Lifecycle.Lease(task, workerId, Ids.New(), now, now + _options.LeaseTimeout);
                Save(context, lease, output: true);
                leased.Add(Lifecycle.ToLeasedTask(lease));
            }
            return leased;
        }, cancellationToken);

    public Task<ReportResult> ReportAsync(Guid workerId, WorkerReport report, CancellationToken cancellationToken) =>
        _writer.WriteAsync(context =>
        {
            TouchWorker(context, workerId, report.State);
            var now = _time.GetUtcNow();
            var stale = new List<Guid>();
            var ended = new List<Guid>();
            var requeued = false;
            foreach (var e in report.Events)
            {
                var execution = LoadExecution(context, e.ExecutionId);
                var needsOutput = e.Type == ReportEventType.Output;
                var task = execution is null || execution.WorkerId != workerId ? null : LoadTask(context, execution.TaskId, needsOutput);
                var transition = task is null ? null : Lifecycle.Apply(task, execution!, e, now, _options.OutputLimitBytes);
                if (transition is not { } t)
                {
                    stale.Add(e.ExecutionId);
                    continue;
                }
                Save(context, t, output: e.Type is ReportEventType.Output or ReportEventType.Finished);
                if (t.TaskEnded) ended.Add(t.Task.Id);
                requeued |= t.TaskQueued;
            }
            if (report.State == WorkerState.Stopped)
            {
                // A worker that stopped holds nothing, even a lease whose answer it never read.
                foreach (var task in LoadHeldTasks(context, workerId))
                {
                    Save(context, Lifecycle.Release(task, LoadExecution(context, task.ExecutionId!.Value)!, now), output: false);
                    requeued = true;
                }
            }
            // The heartbeat: every lease the worker still holds lives another LeaseTimeout.
            var expires = SqliteValues.Time(now + _options.LeaseTimeout);
            if (report.Held is null)
                Execute(context, $"UPDATE tasks SET lease_expires = $expires WHERE worker_id = $worker AND status IN {LeasedStatuses}",
                    ("$expires", expires), ("$worker", workerId.ToString()));
            else
                Execute(context, $"UPDATE tasks SET lease_expires = $expires WHERE worker_id = $worker AND status IN {LeasedStatuses} " +
                    "AND execution_id IN (SELECT value FROM json_each($held))",
                    ("$expires", expires), ("$worker", workerId.ToString()), ("$held", SqliteValues.JsonOrNull(report.Held.Select(h => h.ToString()).ToList())));
            context.AfterCommit(() =>
            {
                _signals.Ended(ended);
                if (requeued) _signals.TasksReady.Pulse();
            });
            return new ReportResult(stale);
        }, cancellationToken);

    public Task<int> ExpireLeasesAsync(CancellationToken cancellationToken) =>
        _writer.WriteAsync(context =>
        {
            var now = _time.GetUtcNow();
            var select = context.Command($"SELECT {TaskRows.Columns} FROM tasks WHERE lease_expires < $now AND status IN {LeasedStatuses}");
            select.Parameters.Clear();
            select.Parameters.AddWithValue("$now", SqliteValues.Time(now));
            var expired = ReadAll(select, TaskRows.ReadTask);
            foreach (var task in expired)
                Save(context, Lifecycle.Expire(task, LoadExecution(context, task.ExecutionId!.Value)!, now), output: false);
            Execute(context, "UPDATE workers SET status = 'lost' WHERE status IN ('active', 'stopping') AND last_seen < $cutoff",
                ("$cutoff", SqliteValues.Time(now - _options.LeaseTimeout)));
            if (expired.Count > 0) context.AfterCommit(_signals.TasksReady.Pulse);
            return expired.Count;
        }, cancellationToken);

    public Task<TaskRecord?> GetTaskAsync(Guid id, CancellationToken cancellationToken) => _reader.GetTaskAsync(id, cancellationToken);

    public Task<IReadOnlyList<TaskRecord>> GetTasksAsync(IReadOnlyCollection<Guid> ids, bool includeOutput, CancellationToken cancellationToken) =>
        _reader.GetTasksAsync(ids, includeOutput, cancellationToken);

    public Task<IReadOnlyList<TaskRecord>> ListTasksAsync(TaskListFilter filter, CancellationToken cancellationToken) =>
        _reader.ListTasksAsync(filter, cancellationToken);

    public Task<IReadOnlyList<ExecutionRecord>> ListExecutionsAsync(Guid taskId, CancellationToken cancellationToken) =>
        _reader.ListExecutionsAsync(taskId, cancellationToken);

    public Task<ExecutionRecord?> GetExecutionAsync(Guid id, CancellationToken cancellationToken) =>
        _reader.GetExecutionAsync(id, cancellationToken);

    public Task<IReadOnlyList<WorkerRecord>> ListWorkersAsync(CancellationToken cancellationToken) => _reader.ListWorkersAsync(cancellationToken);

    public Task<WorkerRecord?> GetWorkerAsync(Guid id, CancellationToken cancellationToken) => _reader.GetWorkerAsync(id, cancellationToken);

    public ValueTask DisposeAsync() => _writer.DisposeAsync();

    private (WorkerState Status, string? Batch) TouchWorker(WriteContext context, Guid workerId, WorkerState reported)
    {
        var touch = context.Command("UPDATE workers SET last_seen = $now, status = $status WHERE id = $id RETURNING status, batch");
        touch.Parameters.Clear();
        touch.Parameters.AddWithValue("$now", SqliteValues.Time(_time.GetUtcNow()));
        touch.Parameters.AddWithValue("$status", Enums.Name(reported));
        touch.Parameters.AddWithValue("$id", workerId.ToString());
        var rows = ReadAll(touch, r => (Enums.Parse<WorkerState>(r.GetString(0)), r.IsDBNull(1) ? null : r.GetString(1)));
        return rows.Count == 0 ? throw new UnknownWorkerException(workerId) : rows[0];
    }

    private static TaskRecord? LoadTask(WriteContext context, Guid id, bool output)
    {
        var select = context.Command($"SELECT {(output ? TaskRows.OutputColumns : TaskRows.Columns)} FROM tasks WHERE id = $id");
        select.Parameters.Clear();
        select.Parameters.AddWithValue("$id", id.ToString());
        var rows = ReadAll(select, TaskRows.ReadTask);
        return rows.Count == 0 ? null : rows[0];
    }

    private static List<TaskRecord> LoadHeldTasks(WriteContext context, Guid workerId)
    {
        var select = context.Command($"SELECT {TaskRows.Columns} FROM tasks WHERE worker_id = $worker AND status IN {LeasedStatuses}");
        select.Parameters.Clear();
        select.Parameters.AddWithValue("$worker", workerId.ToString());
        return ReadAll(select, TaskRows.ReadTask);
    }

    private static ExecutionRecord? LoadExecution(WriteContext context, Guid id)
    {
        var select = context.Command($"SELECT {TaskRows.ExecutionColumns} FROM executions WHERE id = $id");
        select.Parameters.Clear();
        select.Parameters.AddWithValue("$id", id.ToString());
        var rows = ReadAll(select, TaskRows.ReadExecution);
        return rows.Count == 0 ? null : rows[0];
    }

    private static void Save(WriteContext context, Transition transition, bool output)
    {
        var update = context.Command(output ? TaskRows.UpdateStateAndOutput : TaskRows.UpdateState);
        TaskRows.BindState(update, transition.Task, output);
        update.ExecuteNonQuery();
        var upsert = context.Command(TaskRows.UpsertExecution);
        TaskRows.BindExecution(upsert, transition.Execution);
        upsert.ExecuteNonQuery();
    }

    private static void Execute(WriteContext context, string sql, params (string Name, object Value)[] parameters)
    {
        var command = context.Command(sql);
        command.Parameters.Clear();
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value);
        command.ExecuteNonQuery();
    }

    private static List<T> ReadAll<T>(SqliteCommand command, Func<SqliteDataReader, T> read)
    {
        using var reader = command.ExecuteReader();
        var rows = new List<T>();
        while (reader.Read()) rows.Add(read(reader));
        return rows;
    }
}
