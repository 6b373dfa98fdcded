using System.Text;
using Drover.Dispatch;
using Drover.Json;
using Drover.Model;
using Drover.Query;
using Drover.Storage;
using Microsoft.Data.Sqlite;

namespace Drover.Sqlite;

/// <summary>The read side: each read on its own pooled connection, which in WAL mode never waits on the writer.</summary>
internal sealed class SqliteTaskReader(string connectionString) : ITaskReader
{
    public async Task<TaskRecord?> GetTaskAsync(Guid id, CancellationToken cancellationToken)
    {
        var found = await QueryAsync($"SELECT {TaskRows.OutputColumns} FROM tasks WHERE id = $id", TaskRows.ReadTask,
            cancellationToken, ("$id", id.ToString())).ConfigureAwait(false);
        return found.Count == 0 ? null : found[0];
    }

    public async Task<IReadOnlyList<TaskRecord>> GetTasksAsync(IReadOnlyCollection<Guid> ids, bool includeOutput, CancellationToken cancellationToken)
    {
        if (ids.Count == 0) return [];
        return await QueryAsync(includeOutput ? OutputsByIds : RecordsByIds, TaskRows.ReadTask, cancellationToken, IdsOnce(ids)).ConfigureAwait(false);
    }

    public async Task<IReadOnlyDictionary<Guid, TaskState>> GetStatesAsync(IReadOnlyCollection<Guid> ids, CancellationToken cancellationToken)
    {
        if (ids.Count == 0) return new Dictionary<Guid, TaskState>();
        var rows = await QueryAsync(StatesByIds, r => (Id: r.GetGuid(0), Status: r.GetEnum<TaskState>(1)), cancellationToken, IdsOnce(ids)).ConfigureAwait(false);
        return rows.ToDictionary(r => r.Id, r => r.Status);
    }

    /// <summary>
    /// One pass over the ids for states and records: every column is selected, and read only for a task
    /// that has ended (SQLite decodes a column when it is asked for), so a task still on its way costs
    /// little more than its state.
    /// </summary>
    public async Task<IReadOnlyList<TaskLook>> LookAsync(IReadOnlyCollection<Guid> ids, CancellationToken cancellationToken)
    {
        if (ids.Count == 0) return [];
        return await QueryAsync(RecordsByIds, r => r.GetEnum<TaskState>(TaskRows.StatusColumn) is var status && TaskStateRules.IsEnded(status)
                ? new TaskLook(r.GetGuid(TaskRows.IdColumn), status, TaskRows.ReadTask(r))
                : new TaskLook(r.GetGuid(TaskRows.IdColumn), status, null),
            cancellationToken, IdsOnce(ids)).ConfigureAwait(false);
    }

    /// <summary>
    /// The rows of the tasks whose ids $ids (a JSON array of distinct ids, <see cref="IdsOnce"/>) holds, in no
    /// particular order (none is promised). The ids drive the loop, each looked up in the id index: `id IN
    /// (SELECT value FROM json_each($ids))` first copied them into a temporary b-tree (sorted, without
    /// duplicates), a third of the time of a wait's read of 100,000 states; an ORDER BY sorted every row
    /// read in another.
    /// </summary>
    private static string ByIds(string columns) =>
        $"SELECT {TaskRows.Qualified(columns, "t")} FROM json_each($ids) AS j CROSS JOIN tasks AS t ON t.id = j.value";

    private static readonly string RecordsByIds = ByIds(TaskRows.Columns), OutputsByIds = ByIds(TaskRows.OutputColumns), StatesByIds = ByIds("id, status");

    /// <summary>$ids for <see cref="ByIds"/>: each id once (the join gives a row per id listed, where IN gave one per task).</summary>
    private static (string, object) IdsOnce(IReadOnlyCollection<Guid> ids) => ("$ids", SqliteValues.IdsJson([.. ids.Distinct()]));

    public Task<IReadOnlyList<TaskRecord>> ListTasksAsync(TaskListFilter filter, CancellationToken cancellationToken)
    {
        var sql = new StringBuilder($"SELECT {TaskRows.Columns} FROM tasks WHERE 1 = 1");
        var parameters = new List<(string, object)>();
        void Where(string clause, string name, object value)
        {
            sql.Append(" AND ").Append(clause);
            parameters.Add((name, value));
        }
        if (filter.Status is { } status) Where("status = $status", "$status", Enums.Name(status));
        if (filter.Batch is { } batch) Where("batch = $batch", "$batch", batch);
        if (filter.Group is { } group) Where("grp = $grp", "$grp", group);
        if (filter.WorkerId is { } worker) Where("worker_id = $worker", "$worker", worker.ToString());
        if (filter.InGroups is { } groups) Where("grp IN (SELECT value FROM json_each($groups))", "$groups", SqliteValues.JsonText(groups)!);
        if (filter.InBatches is { } batches) Where("batch IN (SELECT value FROM json_each($batches))", "$batches", SqliteValues.JsonText(batches)!);
        if (filter.After is { } after)
            Where("seq > coalesce((SELECT seq FROM tasks WHERE id = $after), 0)", "$after", after.ToString());
        sql.Append(" ORDER BY seq LIMIT $limit");
        parameters.Add(("$limit", filter.Limit));
        return QueryAsync(sql.ToString(), TaskRows.ReadTask, cancellationToken, [.. parameters]);
    }

    public Task<IReadOnlyList<TaskRecord>> QueryTasksAsync(TaskQuery query, CancellationToken cancellationToken)
    {
        var dialect = new SqliteDialect();
        var columns = query.IncludeLargeFields ? TaskRows.OutputColumns : TaskRows.Columns;
        var sql = $"SELECT {columns} FROM tasks WHERE {SqlFilter.Where(query.Filter, dialect)} " +
            $"ORDER BY {SqlFilter.OrderBy(query.Sort, dialect)} LIMIT {dialect.Parameter((long)query.Limit, FieldKind.Integer)} " +
            $"OFFSET {dialect.Parameter((long)query.Skip, FieldKind.Integer)}";
        return QueryAsync(sql, TaskRows.ReadTask, cancellationToken, dialect.UsesRegex, [.. dialect.Parameters]);
    }

    public async Task<long> CountTasksAsync(Filter filter, CancellationToken cancellationToken)
    {
        var dialect = new SqliteDialect();
        var sql = $"SELECT count(*) FROM tasks WHERE {SqlFilter.Where(filter, dialect)}";
        return (await QueryAsync(sql, r => r.GetInt64(0), cancellationToken, dialect.UsesRegex, [.. dialect.Parameters]).ConfigureAwait(false))[0];
    }

    public Task<IReadOnlyList<BatchRecord>> ListBatchesAsync(CancellationToken cancellationToken) => BatchesAsync("", cancellationToken);

    /// <summary>Through the status index: the live states' entries only.</summary>
    public Task<IReadOnlyList<BatchRecord>> ListLiveBatchesAsync(CancellationToken cancellationToken) =>
        BatchesAsync($"WHERE {Query.SqlFilter.Live} ", cancellationToken);

    public async Task<IReadOnlyDictionary<string, long>> CountQueuedByHandlerAsync(CancellationToken cancellationToken) =>
        (await QueryAsync(SqlFilter.QueuedByHandler, r => (Handler: r.GetString(0), Count: r.GetInt64(1)), cancellationToken).ConfigureAwait(false))
            .ToDictionary(r => r.Handler, r => r.Count, StringComparer.Ordinal);

    private async Task<IReadOnlyList<BatchRecord>> BatchesAsync(string where, CancellationToken cancellationToken)
    {
        var counts = await QueryAsync($"SELECT batch, status, count(*) FROM tasks {where}GROUP BY batch, status",
            r => (Batch: r.GetString(0), Status: r.GetString(1), Count: r.GetInt64(2)), cancellationToken).ConfigureAwait(false);
        var paused = (await QueryAsync("SELECT name FROM batches WHERE paused = 1", r => r.GetString(0), cancellationToken).ConfigureAwait(false))
            .ToHashSet(StringComparer.Ordinal);
        var serving = await QueryAsync(
            $"SELECT DISTINCT batch, worker_id FROM tasks WHERE {TaskRows.IsOpen} " +
            "UNION SELECT batch, id FROM workers WHERE batch IS NOT NULL AND status IN ('running', 'paused', 'draining')",
            r => (Batch: r.GetString(0), Worker: Guid.Parse(r.GetString(1))), cancellationToken).ConfigureAwait(false);
        return BatchRecords.From(counts, paused, serving);
    }

    /// <summary>
    /// The executions with rows of their own, then the one the task row describes (the open one, or an
    /// ended task's last: <see cref="TaskRows.DescribedExecution"/>) unless it has a row (written before
    /// schema 10, or saying more than the task row can).
    /// </summary>
    public async Task<IReadOnlyList<ExecutionRecord>> ListExecutionsAsync(Guid taskId, CancellationToken cancellationToken)
    {
        var closed = await QueryAsync($"SELECT {TaskRows.ExecutionColumns} FROM executions WHERE task_id = $task ORDER BY attempt",
            TaskRows.ReadExecution, cancellationToken, ("$task", taskId.ToString())).ConfigureAwait(false);
        var task = await QueryAsync($"SELECT {TaskRows.Columns} FROM tasks WHERE id = $id", TaskRows.ReadTask,
            cancellationToken, ("$id", taskId.ToString())).ConfigureAwait(false);
        return task.Count > 0 && TaskRows.DescribedExecution(task[0]) is { } described && closed.All(e => e.Id != described.Id)
            ? [.. closed, described]
            : closed;
    }

    public async Task<ExecutionRecord?> GetExecutionAsync(Guid id, CancellationToken cancellationToken)
    {
        var found = await QueryAsync($"SELECT {TaskRows.ExecutionColumns} FROM executions WHERE id = $id",
            TaskRows.ReadExecution, cancellationToken, ("$id", id.ToString())).ConfigureAwait(false);
        if (found.Count > 0) return found[0];
        var task = await QueryAsync($"SELECT {TaskRows.Columns} FROM tasks WHERE execution_id = $id",
            TaskRows.ReadTask, cancellationToken, ("$id", id.ToString())).ConfigureAwait(false);
        return task.Count > 0 ? TaskRows.DescribedExecution(task[0]) : null;
    }

    public Task<IReadOnlyList<WorkerRecord>> ListWorkersAsync(CancellationToken cancellationToken) =>
        QueryAsync($"SELECT {TaskRows.WorkerColumns} FROM workers ORDER BY registered", TaskRows.ReadWorker, cancellationToken);

    public async Task<WorkerRecord?> GetWorkerAsync(Guid id, CancellationToken cancellationToken)
    {
        var found = await QueryAsync($"SELECT {TaskRows.WorkerColumns} FROM workers WHERE id = $id",
            TaskRows.ReadWorker, cancellationToken, ("$id", id.ToString())).ConfigureAwait(false);
        return found.Count == 0 ? null : found[0];
    }

    public Task<IReadOnlyList<AuditRecord>> QueryAuditAsync(Filter filter, int limit, CancellationToken cancellationToken)
    {
        var dialect = new SqliteDialect();
        var sql = "SELECT seq, at, token, role, action, target, detail, address, status FROM audit " +
            $"WHERE {SqlFilter.Where(filter, dialect)} ORDER BY seq DESC LIMIT {dialect.Parameter((long)limit, FieldKind.Integer)}";
        return QueryAsync(sql, r => new AuditRecord
        {
            Seq = r.GetInt64(0), Time = SqliteValues.ParseTime(r.GetString(1)), Token = r.GetString(2), Role = r.GetString(3), Action = r.GetString(4),
            Target = r.IsDBNull(5) ? null : r.GetString(5), Detail = r.IsDBNull(6) ? null : r.GetString(6), Address = r.IsDBNull(7) ? null : r.GetString(7),
            Status = r.GetInt32(8),
        }, cancellationToken, dialect.UsesRegex, [.. dialect.Parameters]);
    }

    internal Task<IReadOnlyList<T>> QueryAsync<T>(string sql, Func<RawStatement, T> read,
        CancellationToken cancellationToken, params (string Name, object Value)[] parameters) =>
        QueryAsync(sql, read, cancellationToken, withRegex: false, parameters);

    /// <summary>Rows through SQLite's C API (<see cref="RawStatement"/>), on a pooled connection.</summary>
    private async Task<IReadOnlyList<T>> QueryAsync<T>(string sql, Func<RawStatement, T> read,
        CancellationToken cancellationToken, bool withRegex, params (string Name, object Value)[] parameters)
    {
        await using var connection = new SqliteConnection(connectionString);
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        if (withRegex) SqliteDialect.AddRegexFunction(connection);
        using var statement = new RawStatement(connection, sql);
        foreach (var (name, value) in parameters) statement.Bind(name, value);
        return statement.Rows(read);
    }
}
