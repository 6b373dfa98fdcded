using Drover.Contracts;
using Drover.Storage;

namespace Drover.Server.Dispatch;

/// <summary>
/// A lease that waits for work: it asks the store, and when nothing is ready it waits on the store's
/// "tasks ready" signal (raised after a commit that queues tasks), never on a timer.
/// </summary>
public sealed class LeaseLongPoll(ITaskStore store, StoreSignals signals, TimeProvider time)
{
    public async Task<IReadOnlyList<LeasedTask>> LeaseAsync(Guid workerId, int max, TimeSpan wait, CancellationToken cancellationToken)
    {
        var deadline = time.GetUtcNow() + wait;
        while (true)
        {
            var wake = signals.TasksReady.WaitHandle;
            var leased = await store.LeaseAsync(workerId, max, CancellationToken.None);
            var remaining = deadline - time.GetUtcNow();
            if (leased.Count > 0 || remaining <= TimeSpan.Zero) return leased;
            try
            {
                await wake.WaitAsync(remaining, time, cancellationToken);
            }
            catch (TimeoutException)
            {
                return [];
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return [];
            }
        }
    }
}
