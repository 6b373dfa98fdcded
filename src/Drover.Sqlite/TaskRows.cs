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

    /// <summary>What a lease needs: the definition, handler args included, but no output.</summary>
    public const string LeaseColumns = Columns + ", args";

    public const string OutputColumns = LeaseColumns + ", result, stdout, stderr";

    public const string ExecutionColumns =
        "id, task_id, worker_id, attempt, status, assigned, started, completed, exit_code, timed_out, reason, signals, transfer";

    public const string WorkerColumns =
        "id, name, hostname, pid, concurrency, prefetch, batch, handlers, status, registered, last_seen, " +
        "(SELECT count(*) FROM tasks t WHERE t.worker_id = workers.id AND t.status IN ('assigned', 'running', 'paused')), stats, paused, drain, recyclable";

    public static TaskRecord ReadTask(SqliteDataReader r)
    {
        var task = new TaskRecord
        {
            Seq = r.GetInt64(0),
            Id = Guid.Parse(r.GetString(1)),
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
            Status = Enums.Parse<TaskState>(r.GetString(13)),
            StatusMessage = Str(r, 14),
            Progress = r.IsDBNull(15) ? null : r.GetDouble(15),
            Attempts = r.GetInt32(16),
            Failures = r.GetInt32(17),
            WorkerId = GuidOrNull(r, 18),
            ExecutionId = GuidOrNull(r, 19),
            Submitted = ParseTime(r.GetString(20)),
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
        };
        task = TaskStaging.Apply(task, FromJson<TaskStaging>(Str(r, 34)));
        if (r.FieldCount <= 40) return task;
        task = task with { Args = JsonElementFrom(Str(r, 40)) };
        if (r.FieldCount <= 41) return task;
        return task with
        {
            Result = JsonElementFrom(Str(r, 41)),
            Stdout = Str(r, 42),
            Stderr = Str(r, 43),
        };
    }

    public static ExecutionRecord ReadExecution(SqliteDataReader r) => new()
    {
        Id = Guid.Parse(r.GetString(0)),
        TaskId = Guid.Parse(r.GetString(1)),
        WorkerId = Guid.Parse(r.GetString(2)),
        Attempt = r.GetInt32(3),
        Status = Enums.Parse<ExecutionState>(r.GetString(4)),
        Assigned = ParseTime(r.GetString(5)),
        Started = TimeOrNull(r, 6),
        Completed = TimeOrNull(r, 7),
        ExitCode = r.IsDBNull(8) ? null : r.GetInt32(8),
        TimedOut = r.GetInt64(9) != 0,
        Reason = Str(r, 10),
        Signals = FromJson<List<SignalRecord>>(Str(r, 11)),
        Transfer = FromJson<TransferRecord>(Str(r, 12)),
    };

    public static WorkerRecord ReadWorker(SqliteDataReader r) => new()
    {
        Id = Guid.Parse(r.GetString(0)),
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
        Registered = ParseTime(r.GetString(9)),
        LastSeen = ParseTime(r.GetString(10)),
        Running = r.GetInt32(11),
        Stats = FromJson<MachineStats>(Str(r, 12)),
        Paused = r.GetInt64(13) != 0,
        Drain = r.GetInt64(14) != 0,
        Recyclable = r.GetInt64(15) != 0,
    };

    // The hot statements below run as RawStatements and bind by position: values are given in the
    // order their parameters first appear in the SQL.

    public const string InsertTask =
        "INSERT INTO tasks (id, name, batch, grp, command, shell, handler, args, env, requires, priority, retry, timeout_ms, status, submitted, client_id, resubmitted_from, reason, completed, staging, container, run_after) " +
        "VALUES ($id, $name, $batch, $grp, $command, $shell, $handler, $args, $env, $requires, $priority, $retry, $timeout_ms, $status, $submitted, $client_id, $resubmitted_from, $reason, $completed, $staging, $container, $run_after) " +
        "ON CONFLICT (id) DO NOTHING RETURNING seq";

    public static long? InsertNewTask(RawStatement insert, TaskRecord t) => insert
        .Text(t.Id.ToString()).Text(t.Name).Text(t.Batch).Text(t.Group).Text(JsonText(t.Command)).Text(t.Shell)
        .Text(t.Handler).Text(JsonText(t.Args)).Text(JsonText(t.Env)).Text(JsonText(t.Requires)).Integer(t.Priority).Integer(t.Retry)
        .Integer(t.Timeout is { } timeout ? (long)timeout.TotalMilliseconds : null).Text(Enums.Name(t.Status)).Text(TimeText(t.Submitted))
        .Text(t.ClientId).Text(t.ResubmittedFrom?.ToString()).Text(t.Reason).Text(TimeText(t.Completed))
        .Text(JsonText(TaskStaging.Of(t))).Text(t.Container).Text(TimeText(t.RunAfter))
        .Execute();

    private const string UpdateStateSet =
        "status = $status, status_message = $status_message, progress = $progress, attempts = $attempts, failures = $failures, " +
        "worker_id = $worker_id, execution_id = $execution_id, started = $started, completed = $completed, " +
        "lease_expires = $lease_expires, exit_code = $exit_code, error = $error, stdout_bytes = $stdout_bytes, " +
        "stderr_bytes = $stderr_bytes, reason = $reason, assigned = $assigned, signals = $signals, transfer = $transfer, cached_from = $cached_from, cache_key = $cache_key";

    // By rowid (seq), the cheapest way SQLite has to find a row.
    public const string UpdateState = "UPDATE tasks SET " + UpdateStateSet + " WHERE seq = $seq";

    public const string UpdateStateAndOutput =
        "UPDATE tasks SET " + UpdateStateSet + ", result = $result, stdout = $stdout, stderr = $stderr WHERE seq = $seq";

    public static void UpdateTaskState(RawStatement update, TaskRecord t, bool output)
    {
        update.Text(Enums.Name(t.Status)).Text(t.StatusMessage).Real(t.Progress).Integer(t.Attempts).Integer(t.Failures)
            .Text(t.WorkerId?.ToString()).Text(t.ExecutionId?.ToString()).Text(TimeText(t.Started)).Text(TimeText(t.Completed))
            .Text(TimeText(t.LeaseExpires)).Integer(t.ExitCode).Text(t.Error).Integer(t.StdoutBytes).Integer(t.StderrBytes)
            .Text(t.Reason).Text(TimeText(t.Assigned)).Text(JsonText(t.Signals)).Text(JsonText(t.Transfer)).Text(t.CachedFrom?.ToString()).Text(t.CacheKey);
        if (output) update.Text(JsonText(t.Result)).Text(t.Stdout).Text(t.Stderr);
        update.Integer(t.Seq).Execute();
    }

    public const string InsertExecution =
        "INSERT INTO executions (" + ExecutionColumns + ") VALUES ($id, $task_id, $worker_id, $attempt, $status, $assigned, $started, $completed, $exit_code, $timed_out, $reason, $signals, $transfer)";

    public static void InsertClosedExecution(RawStatement insert, ExecutionRecord e) => insert
        .Text(e.Id.ToString()).Text(e.TaskId.ToString()).Text(e.WorkerId.ToString()).Integer(e.Attempt).Text(Enums.Name(e.Status))
        .Text(TimeText(e.Assigned)).Text(TimeText(e.Started)).Text(TimeText(e.Completed)).Integer(e.ExitCode).Integer(e.TimedOut ? 1 : 0)
        .Text(e.Reason).Text(JsonText(e.Signals)).Text(JsonText(e.Transfer))
        .Execute();

    private static string? Str(SqliteDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);

    private static Guid? GuidOrNull(SqliteDataReader r, int i) => r.IsDBNull(i) ? null : Guid.Parse(r.GetString(i));

    private static DateTimeOffset? TimeOrNull(SqliteDataReader r, int i) => r.IsDBNull(i) ? null : ParseTime(r.GetString(i));
}
