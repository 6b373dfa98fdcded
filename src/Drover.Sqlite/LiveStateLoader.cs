using Drover.Dispatch;
using Drover.Json;
using Drover.Model;

namespace Drover.Sqlite;

/// <summary>Reads the dispatch state back from the database: at start, and after a failed write.</summary>
internal static class LiveStateLoader
{
    public static LiveState Load(WriteContext context)
    {
        var live = new LiveState();
        foreach (var worker in context.Query("SELECT id, batch, status, last_seen FROM workers", r => new LiveWorker(
                     Guid.Parse(r.GetString(0)), r.IsDBNull(1) ? null : r.GetString(1),
                     Enums.Parse<WorkerState>(r.GetString(2)), SqliteValues.ParseTime(r.GetString(3)))))
            live.AddWorker(worker);

        foreach (var batch in context.Query("SELECT name FROM batches WHERE paused = 1", r => r.GetString(0))) live.SetPaused(batch, true);
        var tasks = context.Query($"SELECT {TaskRows.LeaseColumns} FROM tasks WHERE status NOT IN ('succeeded', 'failed', 'canceled')", TaskRows.ReadTask);
        // A pending task waits for those of its requirements that have not succeeded.
        var requirements = tasks.Where(t => t.Status == TaskState.Pending).SelectMany(t => t.Requires ?? []).Distinct().Select(id => id.ToString()).ToList();
        var succeeded = requirements.Count == 0 ? [] : context.Query(
                "SELECT id FROM tasks WHERE status = 'succeeded' AND id IN (SELECT value FROM json_each($ids))",
                r => Guid.Parse(r.GetString(0)), ("$ids", SqliteValues.JsonOrNull(requirements)))
            .ToHashSet();
        foreach (var task in tasks)
            live.Add(task, Lifecycle.OpenExecution(task), task.Status == TaskState.Pending ? [.. (task.Requires ?? []).Where(r => !succeeded.Contains(r))] : null);
        return live;
    }
}
