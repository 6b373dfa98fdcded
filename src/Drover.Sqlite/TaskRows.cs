using Drover.Dispatch;
using Drover.Json;
using Drover.Model;
using Microsoft.Data.Sqlite;
using static Drover.Sqlite.SqliteValues;

namespace Drover.Sqlite;

/// <summary>Reading and writing task, execution and worker rows.</summary>
internal static class TaskRows
{
    /// <summary>Every task column but the large ones; <see cref="OutputColumns"/> adds them.</summary>
    public const string Columns =
        "seq, id, name, batch, grp, command, shell, handler, env, requires, priority, retry, timeout_ms, " +
        "status, status_message, progress, attempts, failures, worker_id, execution_id, submitted, started, " +
        "completed, lease_expires, exit_code, error, stdout_bytes, stderr_bytes, client_id, reason, assigned, " +
        "resubmitted_from, resubmitted, signals, staging, container, transfer, cached_from, cache_key, run_after";

    /// <summary>Where <see cref="Columns"/> (and the lists that begin with it) put the id and the status.</summary>
    public const int IdColumn = 1, StatusColumn = 13;

    /// <summary>A list of task columns with each name prefixed by a table's alias (json_each, joined, has an id of its own).</summary>
    public static string Qualified(string columns, string alias) =>
        string.Join(", ", columns.Split(", ").Select(c => c.StartsWith('(') ? c : $"{alias}.{c}"));

    /// <summary>What a lease needs: the definition, handler args included, but no output.</summary>
    public const string LeaseColumns = Columns + ", args";

    public const string OutputColumns = LeaseColumns + ", result, stdout, stderr";

    public const string ExecutionColumns =
        "id, task_id, worker_id, attempt, status, assigned, started, completed, exit_code, timed_out, reason, signals, transfer";

    /// <summary>
    /// A leased task (an open execution). ORs, not IN: SQLite builds a temporary table for an IN of
    /// three at every evaluation (a partial index with that condition did so at every row written).
    /// </summary>
    public const string IsOpen = "(status = 'assigned' OR status = 'running' OR status = 'paused')";

    /// <summary><see cref="IsOpen"/> of the tasks aliased t.</summary>
    public const string IsOpenT = "(t.status = 'assigned' OR t.status = 'running' OR t.status = 'paused')";

    public const string WorkerColumns =
        "id, name, hostname, pid, concurrency, prefetch, batch, handlers, status, registered, last_seen, " +
        "(SELECT count(*) FROM tasks t WHERE t.worker_id = workers.id AND " + IsOpenT + "), stats, paused, drain, recyclable";

    public static TaskRecord ReadTask(RawStatement r)
    {
        var columns = r.FieldCount;
        var task = new TaskRecord
        {
            Seq = r.GetInt64(0),
            Id = r.GetGuid(IdColumn),
            Name = Str(r, 2),
            Batch = r.GetString(3),
            Group = Str(r, 4),
            Command = FromJson<List<string>>(Str(r, 5)),
            Shell = Str(r, 6),
            Handler = Str(r, 7),
            Env = FromJson<Dictionary<string, string>>(Str(r, 8)),
            Requires = FromJson<List<Guid>>(Str(r, 9)),
            Priority = r.GetInt32(10),
            Retry = r.GetInt32(11),
            Timeout = r.IsDBNull(12) ? null : TimeSpan.FromMilliseconds(r.GetInt64(12)),
            Status = r.GetEnum<TaskState>(StatusColumn),
            StatusMessage = Str(r, 14),
            Progress = r.IsDBNull(15) ? null : r.GetDouble(15),
            Attempts = r.GetInt32(16),
            Failures = r.GetInt32(17),
            WorkerId = GuidOrNull(r, 18),
            ExecutionId = GuidOrNull(r, 19),
            Submitted = r.GetTime(20),
            Started = TimeOrNull(r, 21),
            Completed = TimeOrNull(r, 22),
            LeaseExpires = TimeOrNull(r, 23),
            ExitCode = r.IsDBNull(24) ? null : r.GetInt32(24),
            Error = Str(r, 25),
            StdoutBytes = r.IsDBNull(26) ? null : r.GetInt64(26),
            StderrBytes = r.IsDBNull(27) ? null : r.GetInt64(27),
            ClientId = Str(r, 28),
            Reason = Str(r, 29),
            Assigned = TimeOrNull(r, 30),
            ResubmittedFrom = GuidOrNull(r, 31),
            Resubmitted = GuidOrNull(r, 32),
            Signals = FromJson<List<SignalRecord>>(Str(r, 33)),
            Container = Str(r, 35),
            Transfer = FromJson<TransferRecord>(Str(r, 36)),
            CachedFrom = GuidOrNull(r, 37),
            CacheKey = Str(r, 38),
            RunAfter = TimeOrNull(r, 39),
            // LeaseColumns add args; OutputColumns the result and output too.
            Args = columns > 40 ? JsonElementFrom(Str(r, 40)) : null,
            Result = columns > 41 ? JsonElementFrom(Str(r, 41)) : null,
            Stdout = columns > 41 ? Str(r, 42) : null,
            Stderr = columns > 41 ? Str(r, 43) : null,
        };
        return TaskStaging.Apply(task, FromJson<TaskStaging>(Str(r, 34)));
    }

    public static ExecutionRecord ReadExecution(RawStatement r) => new()
    {
        Id = Guid.Parse(r.GetString(0)),
        TaskId = r.GetGuid(1),
        WorkerId = Guid.Parse(r.GetString(2)),
        Attempt = r.GetInt32(3),
        Status = Enums.Parse<ExecutionState>(r.GetString(4)),
        Assigned = r.GetTime(5),
        Started = TimeOrNull(r, 6),
        Completed = TimeOrNull(r, 7),
        ExitCode = r.IsDBNull(8) ? null : r.GetInt32(8),
        TimedOut = r.GetInt64(9) != 0,
        Reason = Str(r, 10),
        Signals = FromJson<List<SignalRecord>>(Str(r, 11)),
        Transfer = FromJson<TransferRecord>(Str(r, 12)),
    };

    public static WorkerRecord ReadWorker(RawStatement r) => new()
    {
        Id = r.GetGuid(0),
        Name = r.GetString(1),
        Hostname = Str(r, 2),
        Pid = r.IsDBNull(3) ? null : r.GetInt32(3),
        Concurrency = r.GetInt32(4),
        // -1: auto (WorkerRecords.StoredPrefetch).
        Prefetch = Math.Max(r.GetInt32(5), 0),
        PrefetchAuto = r.GetInt32(5) < 0,
        Batch = Str(r, 6),
        Handlers = FromJson<List<string>>(Str(r, 7)),
        Status = Enums.Parse<WorkerState>(r.GetString(8)),
        Registered = r.GetTime(9),
        LastSeen = r.GetTime(10),
        Running = r.GetInt32(11),
        Stats = FromJson<MachineStats>(Str(r, 12)),
        Paused = r.GetInt64(13) != 0,
        Drain = r.GetInt64(14) != 0,
        Recyclable = r.GetInt64(15) != 0,
    };

    // The hot statements below run as RawStatements and bind by position: values are given in the
    // order their parameters first appear in the SQL.

    /// <summary>A new task's row, with the seq the store gives it (<see cref="SqliteTaskStore"/>); nothing when its id exists.</summary>
    public const string InsertTask =
        "INSERT INTO tasks (seq, id, name, batch, grp, command, shell, handler, args, env, requires, priority, retry, timeout_ms, status, submitted, client_id, resubmitted_from, reason, completed, staging, container, run_after) " +
        "VALUES ($seq, $id, $name, $batch, $grp, $command, $shell, $handler, $args, $env, $requires, $priority, $retry, $timeout_ms, $status, $submitted, $client_id, $resubmitted_from, $reason, $completed, $staging, $container, $run_after) " +
        "ON CONFLICT (id) DO NOTHING";

    /// <returns>Whether the row was written (false: a task with this id exists).</returns>
    public static bool InsertNewTask(RawStatement insert, TaskRecord t) => insert
        .Integer(t.Seq).Id(t.Id).Text(t.Name).Text(t.Batch).Text(t.Group).Text(JsonText(t.Command)).Text(t.Shell)
        .Text(t.Handler).Json(t.Args).Text(JsonText(t.Env)).Text(JsonText(t.Requires)).Integer(t.Priority).Integer(t.Retry)
        .Integer(t.Timeout is { } timeout ? (long)timeout.TotalMilliseconds : null).Text(Enums.Name(t.Status)).Time(t.Submitted)
        .Text(t.ClientId).Id(t.ResubmittedFrom).Text(t.Reason).Time(t.Completed)
        .Text(JsonText(TaskStaging.Of(t))).Text(t.Container).Time(t.RunAfter)
        .Insert();

    /// <summary>
    /// A task's state columns (all but its definition and its output), each with how to tell whether it
    /// changed and how to bind it. Compared by reference where a value is rebuilt only when it changes
    /// (lists, records): a new but equal one is written again, never one skipped.
    /// </summary>
    private static readonly StateColumn[] StateColumns =
    [
        new("status", (a, b) => a.Status == b.Status, (u, t) => u.Text(Enums.Name(t.Status))),
        new("status_message", (a, b) => a.StatusMessage == b.StatusMessage, (u, t) => u.Text(t.StatusMessage)),
        new("progress", (a, b) => a.Progress == b.Progress, (u, t) => u.Real(t.Progress)),
        new("attempts", (a, b) => a.Attempts == b.Attempts, (u, t) => u.Integer(t.Attempts)),
        new("failures", (a, b) => a.Failures == b.Failures, (u, t) => u.Integer(t.Failures)),
        new("worker_id", (a, b) => a.WorkerId == b.WorkerId, (u, t) => u.Id(t.WorkerId)),
        new("execution_id", (a, b) => a.ExecutionId == b.ExecutionId, (u, t) => u.Id(t.ExecutionId)),
        new("started", (a, b) => a.Started == b.Started, (u, t) => u.Time(t.Started)),
        new("completed", (a, b) => a.Completed == b.Completed, (u, t) => u.Time(t.Completed)),
        new("lease_expires", (a, b) => a.LeaseExpires == b.LeaseExpires, (u, t) => u.Time(t.LeaseExpires)),
        new("exit_code", (a, b) => a.ExitCode == b.ExitCode, (u, t) => u.Integer(t.ExitCode)),
        new("error", (a, b) => a.Error == b.Error, (u, t) => u.Text(t.Error)),
        new("stdout_bytes", (a, b) => a.StdoutBytes == b.StdoutBytes, (u, t) => u.Integer(t.StdoutBytes)),
        new("stderr_bytes", (a, b) => a.StderrBytes == b.StderrBytes, (u, t) => u.Integer(t.StderrBytes)),
        new("reason", (a, b) => a.Reason == b.Reason, (u, t) => u.Text(t.Reason)),
        new("assigned", (a, b) => a.Assigned == b.Assigned, (u, t) => u.Time(t.Assigned)),
        new("signals", (a, b) => ReferenceEquals(a.Signals, b.Signals), (u, t) => u.Text(JsonText(t.Signals))),
        new("transfer", (a, b) => ReferenceEquals(a.Transfer, b.Transfer), (u, t) => u.Text(JsonText(t.Transfer))),
        new("cached_from", (a, b) => a.CachedFrom == b.CachedFrom, (u, t) => u.Id(t.CachedFrom)),
        new("cache_key", (a, b) => a.CacheKey == b.CacheKey, (u, t) => u.Text(t.CacheKey)),
    ];

    private sealed record StateColumn(string Name, Func<TaskRecord, TaskRecord, bool> Same, Action<RawStatement, TaskRecord> Bind);

    /// <summary>Every state column, and the output columns: keys of <see cref="UpdateOf"/>, to be combined.</summary>
    internal static readonly int AllStateColumns = (1 << StateColumns.Length) - 1;
    internal static readonly int WithOutput = 1 << StateColumns.Length;

    /// <summary>
    /// Writes a task's row: only the state columns that differ from <paramref name="before"/> (its row as
    /// stored), so that an index none of them is in is left alone (a finish no longer rewrites the task's
    /// entry in the worker index, say) and fewer values are bound; every state column when there is no
    /// before. The output columns (result, stdout, stderr) are written whole when asked. By rowid (seq),
    /// the cheapest way SQLite has to find a row.
    /// </summary>
    public static void UpdateChanged(WriteContext context, TaskRecord? before, TaskRecord after, bool output)
    {
        var changed = before is null ? AllStateColumns : 0;
        for (var i = 0; before is not null && i < StateColumns.Length; i++)
        {
            if (!StateColumns[i].Same(before, after)) changed |= 1 << i;
        }
        if (changed == 0 && !output) return;
        var key = changed | (output ? WithOutput : 0);
        var update = context.Raw(key, UpdateOf);
        for (var i = 0; i < StateColumns.Length; i++)
        {
            if ((changed & (1 << i)) != 0) StateColumns[i].Bind(update, after);
        }
        if (output) update.Json(after.Result).Text(after.Stdout).Text(after.Stderr);
        update.Integer(after.Seq).Execute();
    }

    /// <summary>The UPDATE for a key of <see cref="UpdateChanged"/>: a bit per state column, then one for the output columns.</summary>
    internal static string UpdateOf(int key)
    {
        var set = StateColumns.Where((_, i) => (key & (1 << i)) != 0).Select(c => $"{c.Name} = ?").ToList();
        if ((key & WithOutput) != 0) set.AddRange(["result = ?", "stdout = ?", "stderr = ?"]);
        return $"UPDATE tasks SET {string.Join(", ", set)} WHERE seq = ?";
    }

    public const string InsertExecution =
        "INSERT INTO executions (" + ExecutionColumns + ") VALUES ($id, $task_id, $worker_id, $attempt, $status, $assigned, $started, $completed, $exit_code, $timed_out, $reason, $signals, $transfer)";

    /// <summary>
    /// The execution a task row describes: its open one (<see cref="Lifecycle.OpenExecution"/>), or
    /// the last one of a task that ended after it ran. The store writes an execution row of its own
    /// for the latter only when this does not say all of it (<see cref="SqliteTaskStore"/>'s Save),
    /// so an ended task's last run costs no row (three b-tree inserts, two at random places of
    /// indexes keyed by UUIDs) and reads find it here.
    /// </summary>
    public static ExecutionRecord? DescribedExecution(TaskRecord task) =>
        Lifecycle.OpenExecution(task) ?? (TaskStateRules.IsEnded(task.Status) && task is { ExecutionId: { } id, WorkerId: { } worker, Assigned: { } assigned }
            ? new ExecutionRecord
            {
                Id = id,
                TaskId = task.Id,
                WorkerId = worker,
                Attempt = task.Attempts,
                Status = task.Status switch
                {
                    TaskState.Succeeded => ExecutionState.Succeeded,
                    TaskState.Canceled => ExecutionState.Canceled,
                    _ => ExecutionState.Failed,
                },
                Assigned = assigned,
                Started = task.Started,
                Completed = task.Completed,
                ExitCode = task.ExitCode,
                // A timeout's reason, not the worker's own error (which may say the same words).
                TimedOut = task.Reason is { } reason && reason != task.Error && reason.StartsWith("timed out after ", StringComparison.Ordinal),
                Reason = task.Reason,
                Signals = task.Signals,
                Transfer = task.Transfer,
            }
            : null);

    public static void InsertClosedExecution(RawStatement insert, ExecutionRecord e) => insert
        .Id(e.Id).Id(e.TaskId).Id(e.WorkerId).Integer(e.Attempt).Text(Enums.Name(e.Status))
        .Time(e.Assigned).Time(e.Started).Time(e.Completed).Integer(e.ExitCode).Integer(e.TimedOut ? 1 : 0)
        .Text(e.Reason).Text(JsonText(e.Signals)).Text(JsonText(e.Transfer))
        .Execute();

    private static string? Str(RawStatement r, int i) => r.IsDBNull(i) ? null : r.GetString(i);

    private static Guid? GuidOrNull(RawStatement r, int i) => r.IsDBNull(i) ? null : r.GetGuid(i);

    private static DateTimeOffset? TimeOrNull(RawStatement r, int i) => r.IsDBNull(i) ? null : r.GetTime(i);
}
