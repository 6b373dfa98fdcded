using Drover.Contracts;
using Drover.Model;
using Drover.Storage;

namespace Drover.Server.Dispatch;

/// <summary>Answers <c>POST /api/tasks/wait</c>: woken by the tasks' completion, not by a timer.</summary>
public sealed class TaskWaiter(ITaskStore store, StoreSignals signals, TimeProvider time)
{
    /// <summary>What an id that ended before the wait looked has: its record came with the look.</summary>
    private static readonly Task<TaskRecord?> EndedBefore = Task.FromResult<TaskRecord?>(null);

    /// <returns>The answer, or null with the ids that do not exist.</returns>
    public async Task<(WaitResponse? Response, IReadOnlyList<Guid> Unknown)> WaitAsync(
        IReadOnlyList<Guid> ids, TimeSpan timeout, CancellationToken cancellationToken)
    {
        // One look at the tasks: what is unknown, what has already ended (with its record, which the
        // answer carries). Only the tasks still on their way are registered for their ends (a wait on
        // many tasks is mostly for ended ones, and a registration is a completion source and two
        // dictionary entries); an end committed between that look and the registration is found by a
        // read of those tasks' states alone. From then on the signals alone tell what ends, and they
        // carry the records.
        var asked = ids.Distinct().ToList();
        var looks = (await store.LookAsync(asked, cancellationToken)).ToDictionary(l => l.Id);
        var unknown = asked.Where(id => !looks.ContainsKey(id)).ToList();
        if (unknown.Count > 0) return (null, unknown);
        var ends = new Dictionary<Guid, Task<TaskRecord?>>(asked.Count);
        List<Guid>? open = null;
        foreach (var id in asked)
        {
            if (looks[id].Ended is not null) ends[id] = EndedBefore;
            else
            {
                ends[id] = signals.WhenEnded(id);
                (open ??= []).Add(id);
            }
        }
        if (open is not null)
        {
            var again = await store.GetStatesAsync(open, cancellationToken);
            // Ended meanwhile (or purged: read, found missing, answered pending): released to be read.
            signals.Ended(open.Where(id => !again.TryGetValue(id, out var state) || TaskStateRules.IsEnded(state)));
        }
        return (await CollectAsync(ends, timeout, cancellationToken, looks), []);
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

    /// <param name="looked">The wait's first look, which holds the records of the tasks that had ended (<see cref="EndedBefore"/>).</param>
    private async Task<WaitResponse> CollectAsync(Dictionary<Guid, Task<TaskRecord?>> ends, TimeSpan timeout, CancellationToken cancellationToken,
        Dictionary<Guid, TaskLook>? looked = null)
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
        // is pending in this answer (the next wait finds it done), never in neither list. The look's
        // decisions are kept in the order of the ids (a wait may name 100,000 tasks: an array rather
        // than another dictionary of them all); null is pending, or ended with its record to be read.
        var decided = new TaskRecord?[ends.Count];
        var toRead = new List<Guid>();
        var stillPending = new List<Guid>();
        var at = 0;
        foreach (var (id, end) in ends)
        {
            if (!end.IsCompleted) stillPending.Add(id);
            else if (end.Result is { } record) decided[at] = record;
            else if (end == EndedBefore && looked![id].Ended is { } before) decided[at] = before;
            else toRead.Add(id);
            at++;
        }
        Dictionary<Guid, TaskRecord>? read = null;
        if (toRead.Count > 0)
        {
            read = (await store.GetTasksAsync(toRead, includeOutput: false, cancellationToken)).ToDictionary(t => t.Id);
            // Ended but no longer readable (purged meanwhile): pending here, and the next wait says it is unknown.
            if (read.Count < toRead.Count) stillPending.AddRange(toRead.Where(id => !read.ContainsKey(id)));
        }
        var done = new List<TaskRecord>(ends.Count - stillPending.Count);
        at = 0;
        foreach (var id in ends.Keys)
        {
            if (decided[at++] is { } record) done.Add(record);
            else if (read is not null && read.TryGetValue(id, out var fresh)) done.Add(fresh);
        }
        return new WaitResponse(done, stillPending);
    }
}
