using Drover.Storage;

namespace Drover.Core.Tests;

public sealed class StoreSignalsTests
{
    [Fact]
    public void A_worker_is_asked_for_instructions_once_after_start_and_again_only_after_a_signal()
    {
        var signals = new StoreSignals();
        var worker = Guid.CreateVersion7();
        Assert.True(signals.ClaimWorkerInstructions(worker));   // after a start: whatever the store holds
        Assert.False(signals.ClaimWorkerInstructions(worker));  // nothing signaled since
        var woken = signals.WorkerSignal(worker).WaitHandle;
        signals.SignalWorker(worker);
        Assert.True(woken.IsCompleted);
        Assert.True(signals.ClaimWorkerInstructions(worker));
        Assert.False(signals.ClaimWorkerInstructions(worker));
        signals.SignalAllWorkers();                             // notices may have been missed
        Assert.True(signals.ClaimWorkerInstructions(worker));
    }
}
