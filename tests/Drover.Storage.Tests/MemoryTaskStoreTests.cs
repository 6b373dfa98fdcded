using Drover.Storage.Memory;

namespace Drover.Storage.Tests;

public sealed class MemoryTaskStoreTests : TaskDatabaseConformance
{
    protected override ITaskStore CreateStore() => new MemoryTaskStore(Options, Signals, Time, events: Events);
}
