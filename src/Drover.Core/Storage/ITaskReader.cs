using Drover.Model;

namespace Drover.Storage;

/// <summary>The read side of the task database: never waits on writes.</summary>
public interface ITaskReader
{
    /// <summary>One task with every field, the kept output included.</summary>
    Task<TaskRecord?> GetTaskAsync(Guid id, CancellationToken cancellationToken);

    /// <summary>Several tasks by id, without their large fields; unknown ids are left out.</summary>
    Task<IReadOnlyList<TaskRecord>> GetTasksAsync(IReadOnlyCollection<Guid> ids, bool includeOutput, CancellationToken cancellationToken);

    /// <summary>The state of each task named that exists: cheap, for waiting on many tasks.</summary>
    Task<IReadOnlyDictionary<Guid, TaskState>> GetStatesAsync(IReadOnlyCollection<Guid> ids, CancellationToken cancellationToken);

    /// <summary>
    /// A wait's first look: each task named that exists, with its state, and its record (without the
    /// large fields) when it has ended. A wait is mostly on tasks that have ended, whose records it
    /// answers with; a store that can read both in one pass over the ids does (SQLite), others read the
    /// states, then the ended tasks' records.
    /// </summary>
    async Task<IReadOnlyList<TaskLook>> LookAsync(IReadOnlyCollection<Guid> ids, CancellationToken cancellationToken)
    {
        var states = await GetStatesAsync(ids, cancellationToken);
        var ended = await GetTasksAsync([.. states.Where(s => TaskStateRules.IsEnded(s.Value)).Select(s => s.Key)], includeOutput: false, cancellationToken);
        var records = ended.ToDictionary(t => t.Id);
        // A task purged between the two reads has no record: left out, as a task that does not exist.
        return [.. states.Where(s => !TaskStateRules.IsEnded(s.Value) || records.ContainsKey(s.Key))
            .Select(s => new TaskLook(s.Key, s.Value, records.GetValueOrDefault(s.Key)))];
    }

    /// <summary>Tasks in submission order, without their large fields (stdout, stderr, args, result).</summary>
    Task<IReadOnlyList<TaskRecord>> ListTasksAsync(TaskListFilter filter, CancellationToken cancellationToken);

    /// <summary>
    /// The tasks a query selects, sorted, one page; without their large fields unless
    /// <see cref="Query.TaskQuery.IncludeLargeFields"/>.
    /// </summary>
    Task<IReadOnlyList<TaskRecord>> QueryTasksAsync(Query.TaskQuery query, CancellationToken cancellationToken);

    Task<long> CountTasksAsync(Query.Filter filter, CancellationToken cancellationToken);

    /// <summary>Every attempt of a task, oldest first.</summary>
    Task<IReadOnlyList<ExecutionRecord>> ListExecutionsAsync(Guid taskId, CancellationToken cancellationToken);

    Task<ExecutionRecord?> GetExecutionAsync(Guid id, CancellationToken cancellationToken);

    Task<IReadOnlyList<WorkerRecord>> ListWorkersAsync(CancellationToken cancellationToken);

    Task<WorkerRecord?> GetWorkerAsync(Guid id, CancellationToken cancellationToken);
}
