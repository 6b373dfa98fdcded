namespace Drover.Model;

/// <summary>A worker machine's state, sent with its heartbeats: load, memory, disk and network.</summary>
public sealed record MachineStats
{
    public int Cpus { get; init; }
    public double? Load1 { get; init; }
    public double? Load5 { get; init; }
    public double? Load15 { get; init; }
    public long? MemoryUsedBytes { get; init; }
    public long? MemoryTotalBytes { get; init; }
    /// <summary>Free space where the worker runs its tasks.</summary>
    public long? DiskFreeBytes { get; init; }
    /// <summary>Bytes received and sent over every network interface but loopback, since boot.</summary>
    public long? NetworkInBytes { get; init; }
    public long? NetworkOutBytes { get; init; }
    public DateTimeOffset? At { get; init; }
}
