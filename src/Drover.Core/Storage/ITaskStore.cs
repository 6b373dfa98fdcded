using Drover.Contracts;
using Drover.Json;
using Drover.Model;

namespace Drover.Storage;

/// <summary>
/// The task database. Every write is committed before its task completes, and raises
/// <see cref="StoreSignals"/> after the commit. Hot-path writes take and return batches.
/// </summary>
public interface ITaskStore : ITaskReader
{
    /// <summary>False for <c>--store none</c>, which forgets tasks once they end.</summary>
    bool KeepsHistory { get; }

    /// <summary>Creates the tasks in one transaction. A task whose id exists is returned as it is, unchanged.</summary>
    Task<IReadOnlyList<CreateOutcome>> CreateAsync(IReadOnlyList<TaskDefinition> tasks, CancellationToken cancellationToken);

    /// <summary>
    /// <see cref="CreateAsync"/> for a caller that acknowledges the tasks only later
    /// (<c>POST /api/tasks?wait=</c> answers when they end): the commit need not have reached the disk
    /// when this returns, and the caller awaits <see cref="UnsyncedCreate.SyncAsync"/> before it answers.
    /// That costs nothing once a later durable commit (the tasks' ends) has synced the log, which on
    /// SQLite saves a round trip one fsync. Stores without that distinction create durably.
    /// </summary>
    async Task<UnsyncedCreate> CreateUnsyncedAsync(IReadOnlyList<TaskDefinition> tasks, CancellationToken cancellationToken) =>
        new(await CreateAsync(tasks, cancellationToken), _ => Task.CompletedTask);

    /// <summary>
    /// Cancels a task that has not ended, whatever its state, and with it every task that requires it,
    /// down the graph. A running task's worker learns it at its next exchange and stops it.
    /// </summary>
    Task<CancelOutcome> CancelAsync(Guid id, string reason, CancellationToken cancellationToken);

    /// <summary>
    /// Changes a task's name (any task), priority, retry or timeout (a task that has not ended), or its
    /// definition (a task that has not started); otherwise <see cref="UpdateOutcome.TooLate"/> and
    /// nothing changes. A queued task takes its new place in dispatch order at once.
    /// </summary>
    Task<UpdateOutcome> UpdateAsync(Guid id, TaskEdit edit, CancellationToken cancellationToken);

    /// <summary>
    /// Records a signal for a leased task and holds it for the task's worker, which gets it in the
    /// answer to its next lease or report (<see cref="TakeSignalsAsync"/>); raises
    /// <see cref="StoreSignals.WorkerSignal"/> so a waiting long-poll answers at once.
    /// </summary>
    Task<SignalOutcome> SignalAsync(Guid id, TaskSignal signal, CancellationToken cancellationToken);

    /// <summary>The signals waiting for the worker's executions, now marked handed over.</summary>
    Task<IReadOnlyList<SignalCommand>> TakeSignalsAsync(Guid workerId, CancellationToken cancellationToken);

    /// <summary>Pauses a batch (its tasks are not leased; running ones go on) or resumes it. Remembered across restarts.</summary>
    Task SetBatchPausedAsync(string batch, bool paused, CancellationToken cancellationToken);

    /// <summary>Every batch with its counts per state, whether it is paused, and the workers serving it.</summary>
    Task<IReadOnlyList<BatchRecord>> ListBatchesAsync(CancellationToken cancellationToken);

    /// <summary>
    /// The batches with tasks not ended, counting only those: what the queue gauges need every few
    /// seconds. A SQL store reads it through its status index instead of counting every task it
    /// keeps (ten million ended ones, say); this default filters <see cref="ListBatchesAsync"/>.
    /// </summary>
    async Task<IReadOnlyList<BatchRecord>> ListLiveBatchesAsync(CancellationToken cancellationToken) =>
        [.. (await ListBatchesAsync(cancellationToken).ConfigureAwait(false))
            .Select(b => b with { Counts = b.Counts.Where(c => TaskStateRules.Live.Any(s => Enums.Name(s) == c.Key)).ToDictionary() })
            .Where(b => b.Counts.Count > 0)];

    /// <summary>
    /// Queued tasks per handler they name, for the queue gauges. A SQL store counts them in one
    /// grouped read; this default, for the stores that keep their tasks in memory, reads them.
    /// </summary>
    async Task<IReadOnlyDictionary<string, long>> CountQueuedByHandlerAsync(CancellationToken cancellationToken)
    {
        var queued = new Query.AndFilter([
            new Query.CompareFilter(Query.TaskFields.Get("status"), Query.CompareOp.Eq, Enums.Name(TaskState.Queued)),
            new Query.ExistsFilter(Query.TaskFields.Get("handler"), true)]);
        var tasks = await QueryTasksAsync(new Query.TaskQuery { Filter = queued, Limit = int.MaxValue }, cancellationToken).ConfigureAwait(false);
        return tasks.GroupBy(t => t.Handler!, StringComparer.Ordinal).ToDictionary(g => g.Key, g => (long)g.Count(), StringComparer.Ordinal);
    }

    /// <summary>
    /// Changes a worker's settings (concurrency, prefetch, batch, paused) or asks it to drain and exit;
    /// the worker gets them with its next exchange (<see cref="TakeControlAsync"/>). Null for an unknown worker.
    /// </summary>
    Task<WorkerRecord?> UpdateWorkerAsync(Guid workerId, WorkerSettings settings, bool drain, CancellationToken cancellationToken);

    /// <summary>The worker's new settings if they changed since it was last told; null otherwise.</summary>
    Task<WorkerControl?> TakeControlAsync(Guid workerId, CancellationToken cancellationToken);

    /// <summary>
    /// Sets a running task's status message and progress. With <paramref name="executionId"/>, only
    /// while that execution is the task's current one (a task token's). Not leased: NotLeased.
    /// </summary>
    Task<SignalOutcome> SetStatusAsync(Guid taskId, Guid? executionId, StatusUpdate status, CancellationToken cancellationToken);

    /// <summary>Deletes an ended task's record and its executions.</summary>
    Task<DeleteOutcome> DeleteAsync(Guid id, CancellationToken cancellationToken);

    /// <summary>
    /// Creates, for each task named, a new task (new id) with the same definition; the new one records
    /// <c>resubmitted_from</c>, the old one <c>resubmitted</c>. All or nothing: an unknown task or
    /// one that has not ended makes it create none.
    /// </summary>
    Task<ResubmitOutcome> ResubmitAsync(IReadOnlyList<Guid> ids, CancellationToken cancellationToken);

    /// <summary>Deletes the ended tasks the filter selects, with their executions; names those it refused (not ended).</summary>
    Task<PurgeOutcome> PurgeAsync(Query.Filter filter, CancellationToken cancellationToken);

    Task<WorkerRecord> RegisterWorkerAsync(WorkerRegistration registration, CancellationToken cancellationToken);

    /// <summary>
    /// Leases up to <paramref name="max"/> ready tasks to the worker, highest priority first, then
    /// oldest; returns at once, possibly with none. Throws <see cref="UnknownWorkerException"/>.
    /// </summary>
    Task<IReadOnlyList<LeasedTask>> LeaseAsync(Guid workerId, int max, CancellationToken cancellationToken);

    /// <summary>
    /// Applies a worker's events in order and renews every lease it holds (the heartbeat).
    /// Throws <see cref="UnknownWorkerException"/>.
    /// </summary>
    Task<ReportResult> ReportAsync(Guid workerId, WorkerReport report, CancellationToken cancellationToken);

    /// <summary>Queues again the tasks whose lease has expired and marks silent workers lost.</summary>
    Task<int> ExpireLeasesAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Deletes the stopped and lost workers last seen before <paramref name="before"/> that hold no
    /// leased task (<c>--keep-workers</c>); returns how many. A lost worker that comes back is told to register again.
    /// </summary>
    Task<int> PurgeWorkersAsync(DateTimeOffset before, CancellationToken cancellationToken);

    /// <summary>
    /// Queues the pending tasks whose run_after has come (and whose requirements have succeeded);
    /// returns the next run_after one waits for, null when none does. Called by a single timer.
    /// </summary>
    Task<DateTimeOffset?> ReleaseDueAsync(CancellationToken cancellationToken);
}
