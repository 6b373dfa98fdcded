using System.Text.Json;
using Drover.Json;
using Drover.Model;
using Npgsql;
using NpgsqlTypes;

namespace Drover.Postgres;

/// <summary>Reading and writing task, execution and worker rows in PostgreSQL's types (uuid, timestamptz).</summary>
internal static class PgRows
{
    /// <summary>Every task column but the large ones; <see cref="OutputColumns"/> adds them.</summary>
    public const string Columns =
        "seq, id, name, batch, grp, command, shell, handler, env, requires, priority, retry, timeout_ms, " +
        "status, status_message, progress, attempts, failures, worker_id, execution_id, submitted, started, " +
        "completed, lease_expires, exit_code, error, stdout_bytes, stderr_bytes, client_id, reason, assigned, " +
        "resubmitted_from, resubmitted, signals, staging, container, transfer, cached_from, cache_key, run_after";

    public const string OutputColumns = Columns + ", args, result, stdout, stderr";

    public const string ExecutionColumns =
        "id, task_id, worker_id, attempt, status, assigned, started, completed, exit_code, timed_out, reason, signals, transfer";

    public const string WorkerColumns =
        "id, name, hostname, pid, concurrency, prefetch, batch, handlers, status, registered, last_seen, " +
        "(SELECT count(*) FROM tasks t WHERE t.worker_id = workers.id AND t.status IN ('assigned', 'running', 'paused')), stats, paused, drain, recyclable";

    public const string Leased = "status IN ('assigned', 'running', 'paused')";

    public const string Ended = "status IN ('succeeded', 'failed', 'canceled')";

    public static TaskRecord ReadTask(NpgsqlDataReader r)
    {
        var task = new TaskRecord
        {
            Seq = r.GetInt64(0),
            Id = r.GetGuid(1),
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
            Submitted = Time(r, 20)!.Value,
            Started = Time(r, 21),
            Completed = Time(r, 22),
            LeaseExpires = Time(r, 23),
            ExitCode = r.IsDBNull(24) ? null : r.GetInt32(24),
            Error = Str(r, 25),
            StdoutBytes = r.IsDBNull(26) ? null : r.GetInt64(26),
            StderrBytes = r.IsDBNull(27) ? null : r.GetInt64(27),
            ClientId = Str(r, 28),
            Reason = Str(r, 29),
            Assigned = Time(r, 30),
            ResubmittedFrom = GuidOrNull(r, 31),
            Resubmitted = GuidOrNull(r, 32),
            Signals = FromJson<List<SignalRecord>>(Str(r, 33)),
            Container = Str(r, 35),
            Transfer = FromJson<TransferRecord>(Str(r, 36)),
            CachedFrom = GuidOrNull(r, 37),
            CacheKey = Str(r, 38),
            RunAfter = Time(r, 39),
        };
        task = TaskStaging.Apply(task, FromJson<TaskStaging>(Str(r, 34)));
        if (r.FieldCount <= 40) return task;
        return task with
        {
            Args = JsonElementFrom(Str(r, 40)),
            Result = JsonElementFrom(Str(r, 41)),
            Stdout = Str(r, 42),
            Stderr = Str(r, 43),
        };
    }

    public static ExecutionRecord ReadExecution(NpgsqlDataReader r) => new()
    {
        Id = r.GetGuid(0),
        TaskId = r.GetGuid(1),
        WorkerId = r.GetGuid(2),
        Attempt = r.GetInt32(3),
        Status = Enums.Parse<ExecutionState>(r.GetString(4)),
        Assigned = Time(r, 5)!.Value,
        Started = Time(r, 6),
        Completed = Time(r, 7),
        ExitCode = r.IsDBNull(8) ? null : r.GetInt32(8),
        TimedOut = r.GetBoolean(9),
        Reason = Str(r, 10),
        Signals = FromJson<List<SignalRecord>>(Str(r, 11)),
        Transfer = FromJson<TransferRecord>(Str(r, 12)),
    };

    public static WorkerRecord ReadWorker(NpgsqlDataReader r) => new()
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
        Registered = Time(r, 9)!.Value,
        LastSeen = Time(r, 10)!.Value,
        Running = (int)r.GetInt64(11),
        Stats = FromJson<MachineStats>(Str(r, 12)),
        Paused = r.GetBoolean(13),
        Drain = r.GetBoolean(14),
        Recyclable = r.GetBoolean(15),
    };

    /// <summary>A command with positional parameters; a null becomes SQL NULL of the column's type.</summary>
    public static NpgsqlBatchCommand Command(string sql, params object?[] values)
    {
        var command = new NpgsqlBatchCommand(sql);
        foreach (var value in values) command.Parameters.Add(Parameter(value));
        return command;
    }

    public static NpgsqlParameter Parameter(object? value) => value switch
    {
        null => new NpgsqlParameter { Value = DBNull.Value },
        // timestamptz takes UTC only.
        DateTimeOffset time => new NpgsqlParameter { Value = time.ToUniversalTime(), NpgsqlDbType = NpgsqlDbType.TimestampTz },
        _ => new NpgsqlParameter { Value = value },
    };

    public static string? JsonText<T>(T? value) => value is null ? null : JsonSerializer.Serialize(value, DroverJson.Options);

    public static string? JsonText(JsonElement? value) => value?.GetRawText();

    public static T? FromJson<T>(string? text) => text is null ? default : JsonSerializer.Deserialize<T>(text, DroverJson.Options);

    private static JsonElement? JsonElementFrom(string? text) => StoredJson.Parse(text);

    private static string? Str(NpgsqlDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);

    private static Guid? GuidOrNull(NpgsqlDataReader r, int i) => r.IsDBNull(i) ? null : r.GetGuid(i);

    private static DateTimeOffset? Time(NpgsqlDataReader r, int i) => r.IsDBNull(i) ? null : r.GetFieldValue<DateTimeOffset>(i);
}
