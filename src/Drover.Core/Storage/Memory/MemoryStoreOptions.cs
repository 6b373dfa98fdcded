namespace Drover.Storage.Memory;

public sealed class MemoryStoreOptions
{
    /// <summary>False is <c>--store none</c>: tasks are dispatched and forgotten when they end.</summary>
    public bool KeepHistory { get; init; } = true;
}
