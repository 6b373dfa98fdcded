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
        var deadline = time.GetUtcNow() + timeout;
        var pending = ids.Distinct().ToList();
        var doneIds = new List<Guid>();
        var first = true;
        while (true)
        {
            // Register before reading, so that an end committed in between still wakes us.
            var ended = pending.Select(signals.WhenEnded).ToList();
            // Only the states while waiting; the records are read once, for the answer.
            var states = await store.GetStatesAsync(pending, cancellationToken);
            if (first)
            {
                var unknown = pending.Where(id => !states.ContainsKey(id)).ToList();
                if (unknown.Count > 0)
                {
                    // No task will ever end under these ids: drop their registrations.
                    signals.Ended(unknown);
                    return (null, unknown);
                }
                first = false;
            }
            var endedNow = pending.Where(id => TaskStateRules.IsEnded(states[id])).ToList();
            doneIds.AddRange(endedNow);
            // Registrations made after a task ended would never fire; release them.
            signals.Ended(endedNow);
            var endedSet = endedNow.ToHashSet();
            pending = pending.Where(id => !endedSet.Contains(id)).ToList();
            var remaining = deadline - time.GetUtcNow();
            if (pending.Count == 0 || remaining <= TimeSpan.Zero)
            {
                var done = await store.GetTasksAsync(doneIds, includeOutput: false, cancellationToken);
                return (new WaitResponse(done, pending), []);
            }
            try
            {
                await Task.WhenAll(ended).WaitAsync(remaining, time, cancellationToken);
            }
            catch (TimeoutException)
            {
                // Read once more below, then answer with what is still pending.
                deadline = time.GetUtcNow();
            }
        }
    }
}
