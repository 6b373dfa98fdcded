using Drover.Json;
using Drover.Model;
using Npgsql;
using NpgsqlTypes;

namespace Drover.Postgres;

/// <summary>
/// Writing task and execution rows, one row or many. Many rows go in one statement that takes each
/// column as an array (<c>unnest</c>): PostgreSQL parses, plans and runs one INSERT or UPDATE for a
/// submit of a thousand tasks or a report of hundreds of ended ones, instead of one per row.
/// </summary>
internal static class PgWrites
{
    /// <summary>A column a write fills: its name, PostgreSQL type and value.</summary>
    private sealed record Column<T>(string Name, string Type, Func<T, object?> Value);

    private static readonly Column<TaskRecord>[] NewTaskColumns =
    [
        new("id", "uuid", t => t.Id), new("name", "text", t => t.Name), new("batch", "text", t => t.Batch), new("grp", "text", t => t.Group),
        new("command", "text", t => PgRows.JsonText(t.Command)), new("shell", "text", t => t.Shell), new("handler", "text", t => t.Handler),
        new("args", "text", t => PgRows.JsonText(t.Args)), new("env", "text", t => PgRows.JsonText(t.Env)),
        new("requires", "text", t => PgRows.JsonText(t.Requires)), new("priority", "integer", t => t.Priority), new("retry", "integer", t => t.Retry),
        new("timeout_ms", "bigint", t => t.Timeout is { } timeout ? (long)timeout.TotalMilliseconds : null),
        new("status", "text", t => Enums.Name(t.Status)), new("submitted", "timestamptz", t => t.Submitted), new("client_id", "text", t => t.ClientId),
        new("resubmitted_from", "uuid", t => t.ResubmittedFrom), new("reason", "text", t => t.Reason), new("completed", "timestamptz", t => t.Completed),
        new("staging", "text", t => PgRows.JsonText(TaskStaging.Of(t))), new("container", "text", t => t.Container),
        new("run_after", "timestamptz", t => t.RunAfter),
    ];

    private static readonly Column<TaskRecord>[] StateColumns =
    [
        new("status", "text", t => Enums.Name(t.Status)), new("status_message", "text", t => t.StatusMessage),
        new("progress", "double precision", t => t.Progress), new("attempts", "integer", t => t.Attempts),
        new("failures", "integer", t => t.Failures), new("worker_id", "uuid", t => t.WorkerId), new("execution_id", "uuid", t => t.ExecutionId),
        new("started", "timestamptz", t => t.Started), new("completed", "timestamptz", t => t.Completed),
        new("lease_expires", "timestamptz", t => t.LeaseExpires), new("exit_code", "integer", t => t.ExitCode), new("error", "text", t => t.Error),
        new("stdout_bytes", "bigint", t => t.StdoutBytes), new("stderr_bytes", "bigint", t => t.StderrBytes), new("reason", "text", t => t.Reason),
        new("assigned", "timestamptz", t => t.Assigned), new("signals", "text", t => PgRows.JsonText(t.Signals)),
        new("signal_pending", "boolean", t => Dispatch.Lifecycle.HasUndelivered(t)), new("transfer", "text", t => PgRows.JsonText(t.Transfer)),
        new("cached_from", "uuid", t => t.CachedFrom), new("cache_key", "text", t => t.CacheKey),
    ];

    /// <summary>The state and the large fields, written when the change may have touched them (output, a result).</summary>
    private static readonly Column<TaskRecord>[] OutputStateColumns =
    [
        .. StateColumns, new("result", "text", t => PgRows.JsonText(t.Result)), new("stdout", "text", t => t.Stdout), new("stderr", "text", t => t.Stderr),
    ];

    private static readonly Column<ExecutionRecord>[] ExecutionColumns =
    [
        new("id", "uuid", e => e.Id), new("task_id", "uuid", e => e.TaskId), new("worker_id", "uuid", e => e.WorkerId),
        new("attempt", "integer", e => e.Attempt), new("status", "text", e => Enums.Name(e.Status)), new("assigned", "timestamptz", e => e.Assigned),
        new("started", "timestamptz", e => e.Started), new("completed", "timestamptz", e => e.Completed), new("exit_code", "integer", e => e.ExitCode),
        new("timed_out", "boolean", e => e.TimedOut), new("reason", "text", e => e.Reason), new("signals", "text", e => PgRows.JsonText(e.Signals)),
        new("transfer", "text", e => PgRows.JsonText(e.Transfer)),
    ];

    /// <summary>
    /// Inserts new tasks in their order; answers <c>(id, seq)</c> for each row inserted. An id that
    /// exists (or comes twice) is left as it is and not answered.
    /// </summary>
    public static NpgsqlBatchCommand InsertNewTasks(IReadOnlyList<TaskRecord> tasks)
    {
        var names = Names(NewTaskColumns);
        var command = new NpgsqlBatchCommand(
            $"INSERT INTO tasks ({names}) SELECT {names} FROM {Unnest(NewTaskColumns, "ord")} ORDER BY ord " +
            "ON CONFLICT (id) DO NOTHING RETURNING id, seq");
        AddArrays(command, NewTaskColumns, tasks);
        return command;
    }

    /// <summary>One task's new state.</summary>
    public static NpgsqlBatchCommand UpdateTaskState(TaskRecord t, bool output)
    {
        var columns = output ? OutputStateColumns : StateColumns;
        return PgRows.Command($"UPDATE tasks SET {string.Join(", ", columns.Select((c, i) => $"{c.Name} = ${i + 1}"))} WHERE seq = ${columns.Length + 1}",
            [.. columns.Select(c => c.Value(t)), t.Seq]);
    }

    /// <summary>Many tasks' new states: one statement for each kind of change (with output or without).</summary>
    public static IEnumerable<NpgsqlBatchCommand> UpdateTaskStates(IEnumerable<(TaskRecord Task, bool Output)> writes)
    {
        foreach (var kind in writes.GroupBy(w => w.Output))
        {
            var tasks = kind.Select(w => w.Task).ToList();
            if (tasks.Count == 1)
            {
                yield return UpdateTaskState(tasks[0], kind.Key);
                continue;
            }
            var columns = kind.Key ? OutputStateColumns : StateColumns;
            var command = new NpgsqlBatchCommand(
                $"UPDATE tasks t SET {string.Join(", ", columns.Select(c => $"{c.Name} = u.{c.Name}"))} FROM {Unnest(columns, "seq")} WHERE t.seq = u.seq");
            AddArrays(command, columns, tasks);
            command.Parameters.Add(new NpgsqlParameter { Value = tasks.Select(t => t.Seq).ToArray() });
            yield return command;
        }
    }

    /// <summary>Executions that closed, in one statement (none when there are none).</summary>
    public static IEnumerable<NpgsqlBatchCommand> InsertClosedExecutions(IReadOnlyList<ExecutionRecord> executions)
    {
        if (executions.Count == 0) yield break;
        var names = Names(ExecutionColumns);
        var command = new NpgsqlBatchCommand($"INSERT INTO executions ({names}) SELECT {names} FROM {Unnest(ExecutionColumns, null)}");
        AddArrays(command, ExecutionColumns, executions);
        yield return command;
    }

    private static string Names<T>(Column<T>[] columns) => string.Join(", ", columns.Select(c => c.Name));

    /// <summary><c>unnest($1::type[], …) AS u(names…)</c>, plus a last column: the ordinality, or one more array parameter (bigint).</summary>
    private static string Unnest<T>(Column<T>[] columns, string? last)
    {
        var arrays = string.Join(", ", columns.Select((c, i) => $"${i + 1}::{c.Type}[]"));
        return last switch
        {
            null => $"unnest({arrays}) AS u({Names(columns)})",
            "ord" => $"unnest({arrays}) WITH ORDINALITY AS u({Names(columns)}, ord)",
            _ => $"unnest({arrays}, ${columns.Length + 1}::bigint[]) AS u({Names(columns)}, {last})",
        };
    }

    private static void AddArrays<T>(NpgsqlBatchCommand command, Column<T>[] columns, IReadOnlyList<T> rows)
    {
        foreach (var column in columns) command.Parameters.Add(ArrayParameter(column.Type, rows.Select(column.Value)));
    }

    /// <summary>A column's values as a typed array (nulls kept), so PostgreSQL gets the column's own type.</summary>
    private static NpgsqlParameter ArrayParameter(string type, IEnumerable<object?> values) => type switch
    {
        "text" => new NpgsqlParameter { Value = values.Select(v => (string?)v).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text },
        "double precision" => new NpgsqlParameter { Value = values.Select(v => (double?)v).ToArray() },
        "integer" => new NpgsqlParameter { Value = values.Select(v => (int?)v).ToArray() },
        "bigint" => new NpgsqlParameter { Value = values.Select(v => (long?)v).ToArray() },
        "uuid" => new NpgsqlParameter { Value = values.Select(v => (Guid?)v).ToArray() },
        "boolean" => new NpgsqlParameter { Value = values.Select(v => (bool)v!).ToArray() },
        // timestamptz takes UTC only.
        "timestamptz" => new NpgsqlParameter
        {
            Value = values.Select(v => ((DateTimeOffset?)v)?.ToUniversalTime()).ToArray(),
            NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz,
        },
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "no array parameter for this type"),
    };
}
