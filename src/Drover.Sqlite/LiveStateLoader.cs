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
        foreach (var record in context.Query($"SELECT {TaskRows.WorkerColumns} FROM workers", TaskRows.ReadWorker))
        {
            var worker = new LiveWorker(record.Id, record.Batch, record.Status, record.LastSeen, record.Handlers);
            // Settings changed before a restart may not have reached the worker: tell it again.
            if (record.Status != WorkerState.Lost && record.Status != WorkerState.Stopped) Storage.WorkerRecords.ApplyTo(worker, record);
            live.AddWorker(worker);
        }

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
