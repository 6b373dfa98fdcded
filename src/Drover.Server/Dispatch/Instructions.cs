using Drover.Contracts;
using Drover.Storage;

namespace Drover.Server.Dispatch;

/// <summary>What a worker's lease or report answer carries besides tasks: signals and new settings.</summary>
public static class Instructions
{
    /// <summary>
    /// Takes them from the store, but only when something may wait (<see cref="StoreSignals.ClaimWorkerInstructions"/>):
    /// almost always nothing does, and for a SQL store asking is a round trip per exchange.
    /// </summary>
    public static async Task<(IReadOnlyList<SignalCommand> Signals, WorkerControl? Control)> TakeAsync(ITaskStore store, StoreSignals signals, Guid workerId)
    {
        if (!signals.ClaimWorkerInstructions(workerId)) return ([], null);
        return (await store.TakeSignalsAsync(workerId, CancellationToken.None), await store.TakeControlAsync(workerId, CancellationToken.None));
    }
}
