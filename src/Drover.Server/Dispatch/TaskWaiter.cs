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
        var done = new List<TaskRecord>();
        var first = true;
        while (true)
        {
            // Register before reading, so that an end committed in between still wakes us.
            var ended = pending.Select(signals.WhenEnded).ToList();
            var records = await store.GetTasksAsync(pending, includeOutput: false, cancellationToken);
            if (first)
            {
                var unknown = pending.Except(records.Select(r => r.Id)).ToList();
                if (unknown.Count > 0) return (null, unknown);
                first = false;
            }
            var endedNow = records.Where(r => TaskStateRules.IsEnded(r.Status)).ToList();
            done.AddRange(endedNow);
            // Registrations made after a task ended would never fire; release them.
            signals.Ended(endedNow.Select(r => r.Id));
            var doneIds = done.Select(d => d.Id).ToHashSet();
            pending = pending.Where(id => !doneIds.Contains(id)).ToList();
            var remaining = deadline - time.GetUtcNow();
            if (pending.Count == 0 || remaining <= TimeSpan.Zero) return (new WaitResponse(done, pending), []);
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
