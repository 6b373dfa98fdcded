using Drover.Contracts;
using Drover.Model;
using Drover.Storage;

namespace Drover.Server.Dispatch;

/// <summary>
/// <c>wait</c> with <c>retry: N</c> (scitq's <c>join(tasks, retry=2)</c>): a named task that ends
/// failed is resubmitted, up to N times, and the wait goes on for the new attempt. A named task is
/// followed through its resubmissions (<c>resubmitted</c>), so calling again with the same ids goes
/// on where the last call stopped, and the retries already made count.
/// </summary>
public sealed class Join(TaskWaiter waiter, ITaskStore store, TimeProvider time)
{
    public const int MaxRetry = 100;

    /// <returns>
    /// The latest attempts that have ended and the named ids whose latest attempt has not; or null
    /// with the ids that do not exist.
    /// </returns>
    public async Task<(WaitResponse? Response, IReadOnlyList<Guid> Unknown)> WaitAsync(
        IReadOnlyList<Guid> ids, TimeSpan timeout, int retry, CancellationToken cancellationToken)
    {
        if (retry == 0) return await waiter.WaitAsync(ids, timeout, cancellationToken);
        var named = ids.Distinct().ToList();
        var deadline = time.GetUtcNow() + timeout;
        while (true)
        {
            var latest = new Dictionary<Guid, (Guid Id, int Retries)>();
            var unknown = new List<Guid>();
            foreach (var id in named)
            {
                if (await LatestAsync(id, cancellationToken) is { } found) latest[id] = found;
                else unknown.Add(id);
            }
            if (unknown.Count > 0) return (null, unknown);

            var remaining = deadline - time.GetUtcNow();
            var (response, gone) = await waiter.WaitAsync([.. latest.Values.Select(l => l.Id)], remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero, cancellationToken);
            if (response is null) return (null, gone);
            var retries = latest.Values.ToDictionary(l => l.Id, l => l.Retries);
            var again = response.Done.Where(t => t.Status == TaskState.Failed && retries[t.Id] < retry).Select(t => t.Id).ToHashSet();
            if (again.Count > 0)
            {
                // (Two joins on one failed task at the same moment may each resubmit it; one join per task is the use.)
                var outcome = await store.ResubmitAsync([.. again], cancellationToken);
                if (outcome.Unknown.Count > 0) return (null, outcome.Unknown);
                if (time.GetUtcNow() < deadline) continue;
            }
            // Answer: the latest attempts that ended for good, and the named tasks still on their way.
            var waiting = response.Pending.Concat(again).ToHashSet();
            return (new WaitResponse([.. response.Done.Where(t => !again.Contains(t.Id))], [.. named.Where(n => waiting.Contains(latest[n].Id))]), []);
        }
    }

    /// <summary>The newest attempt of a task (following <c>resubmitted</c>), and how many resubmissions led to it.</summary>
    private async Task<(Guid Id, int Retries)?> LatestAsync(Guid id, CancellationToken cancellationToken)
    {
        var task = await store.GetTaskAsync(id, cancellationToken);
        if (task is null) return null;
        var retries = 0;
        while (task.Resubmitted is { } next && retries < MaxRetry + 1 && await store.GetTaskAsync(next, cancellationToken) is { } newer)
        {
            task = newer;
            retries++;
        }
        return (task.Id, retries);
    }
}
