using Drover.Storage.Memory;

namespace Drover.Storage.Tests;

public sealed class MemoryTaskStoreTests : TaskStoreConformance
{
    protected override ITaskStore CreateStore() => new MemoryTaskStore(Options, Signals, Time);
}
