using Drover.Contracts;
using Drover.Model;
using Drover.Storage;

namespace Drover.Server.Dispatch;

/// <summary>Answers <c>POST /api/tasks/wait</c>: woken by the tasks' completion, not by a timer.</summary>
public sealed class TaskWaiter(ITaskStore store, StoreSignals signals, TimeProvider time)
{
    /// <returns>The answer, or null with the ids that do not exist.</returns>
    public async Task<(WaitResponse? Response, IReadOnlyList<Guid> Unknown)> WaitAsync(
        IReadOnlyList<Guid> ids, TimeSpan timeout, CancellationToken cancellationToken)
    {
        // Register before reading, so that an end committed in between still completes a registration.
        var ends = Register(ids);
        // One read of the states: what is unknown, what has already ended. From then on the
        // signals alone tell what ends, and they carry the records, so a wait on thousands of
        // tasks reads the store twice at most.
        var states = await store.GetStatesAsync(ends.Keys, cancellationToken);
        var unknown = ends.Keys.Where(id => !states.ContainsKey(id)).ToList();
        if (unknown.Count > 0)
        {
            // No task will ever end under these ids: drop their registrations. (The others are
            // shared with other waiters and stay until their tasks end.)
            signals.Ended(unknown);
            return (null, unknown);
        }
        signals.Ended(ends.Keys.Where(id => TaskStateRules.IsEnded(states[id])));
        return (await CollectAsync(ends, timeout, cancellationToken), []);
    }

    /// <summary>
    /// Registers for the ends of tasks about to be created, before they can end (a task of a
    /// <c>--store none</c> server is forgotten the moment it ends, so a wait that starts after the
    /// create may find nothing): <c>POST /api/tasks?wait=</c>.
    /// </summary>
    public Dictionary<Guid, Task<TaskRecord?>> Register(IEnumerable<Guid> ids) => ids.Distinct().ToDictionary(id => id, signals.WhenEnded);

    /// <summary>After a create of registered tasks: a task that existed already (an id sent again) may have ended long ago, and no end will come for it.</summary>
    public void Created(IEnumerable<TaskRecord> created) => signals.Ended(created.Where(t => TaskStateRules.IsEnded(t.Status)).Select(t => t.Id));

    /// <summary>After the create: waits for the registered tasks that the create did not already find ended.</summary>
    public Task<WaitResponse> CollectAsync(Dictionary<Guid, Task<TaskRecord?>> ends, IReadOnlyList<TaskRecord> created, TimeSpan timeout, CancellationToken cancellationToken)
    {
        Created(created);
        return CollectAsync(ends, timeout, cancellationToken);
    }

    private async Task<WaitResponse> CollectAsync(Dictionary<Guid, Task<TaskRecord?>> ends, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var pending = ends.Values.Where(t => !t.IsCompleted).ToList();
        if (pending.Count > 0)
        {
            try
            {
                await Task.WhenAll(pending).WaitAsync(timeout, time, cancellationToken);
            }
            catch (TimeoutException)
            {
                // Answer with what has ended; the rest is pending.
            }
        }

        // One look at each registration decides done or pending: a task that ends after this look
        // is pending in this answer (the next wait finds it done), never in neither list.
        var carried = new Dictionary<Guid, TaskRecord>();
        var toRead = new List<Guid>();
        var stillPending = new List<Guid>();
        foreach (var (id, end) in ends)
        {
            if (!end.IsCompleted) stillPending.Add(id);
            else if (end.Result is { } record) carried[id] = record;
            else toRead.Add(id);
        }
        if (toRead.Count > 0)
        {
            foreach (var record in await store.GetTasksAsync(toRead, includeOutput: false, cancellationToken))
                carried[record.Id] = record;
            // Ended but no longer readable (purged meanwhile): pending here, and the next wait says it is unknown.
            stillPending.AddRange(toRead.Where(id => !carried.ContainsKey(id)));
        }
        var done = ends.Keys.Where(carried.ContainsKey).Select(id => carried[id]).ToList();
        return new WaitResponse(done, stillPending);
    }
}
