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

        foreach (var task in context.Query($"SELECT {TaskRows.LeaseColumns} FROM tasks WHERE status NOT IN ('succeeded', 'failed', 'canceled')", TaskRows.ReadTask))
            live.Add(task, Lifecycle.OpenExecution(task));
        return live;
    }
}
