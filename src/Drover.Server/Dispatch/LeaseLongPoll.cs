using Drover.Contracts;
using Drover.Storage;

namespace Drover.Server.Dispatch;

/// <summary>
/// A lease that waits for work: it asks the store, and when nothing is ready it waits on the store's
/// "tasks ready" signal (raised after a commit that queues tasks), never on a timer. It also answers
/// at once when a signal waits for one of the worker's executions; a worker with no room for more
/// tasks keeps a lease of <c>max: 0</c> open just for those.
/// </summary>
public sealed class LeaseLongPoll(ITaskStore store, StoreSignals signals, TimeProvider time)
{
    public async Task<LeaseResponse> LeaseAsync(Guid workerId, int max, TimeSpan wait, CancellationToken cancellationToken)
    {
        var deadline = time.GetUtcNow() + wait;
        // A lease for signals only asks nothing of the store: make sure the worker exists, as a lease
        // for tasks does, so an unknown worker is told at once to register (not left waiting).
        if (max == 0 && await store.GetWorkerAsync(workerId, cancellationToken) is null) throw new UnknownWorkerException(workerId);
        var signaled = signals.WorkerSignal(workerId);
        while (true)
        {
            var wake = Task.WhenAny(signals.TasksReady.WaitHandle, signaled.WaitHandle);
            var leased = max > 0 ? await store.LeaseAsync(workerId, max, CancellationToken.None) : [];
            var (commands, control) = await Instructions.TakeAsync(store, signals, workerId);
            var remaining = deadline - time.GetUtcNow();
            if (leased.Count > 0 || commands.Count > 0 || control is not null || remaining <= TimeSpan.Zero)
                return new LeaseResponse(leased) { Signals = commands, Control = control };
            try
            {
                await wake.WaitAsync(remaining, time, cancellationToken);
            }
            catch (TimeoutException)
            {
                return new LeaseResponse([]);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return new LeaseResponse([]);
            }
        }
    }
}
