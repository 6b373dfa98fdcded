namespace Drover.Server.Http;

/// <summary>
/// Gives the memory of large request bodies back to the system soon after them. A 15 MiB body
/// costs several times that while it is parsed, in large-object-heap arrays that only a full
/// collection frees, and on a machine with memory to spare the GC may not run one for hours: a
/// few large bad bodies kept the server at ~700 MiB. So a few seconds after the last large body,
/// one compacting, decommitting collection runs; at most one per <see cref="Quiet"/>, and never
/// for ordinary small requests.
/// </summary>
public static class LargeBodies
{
    /// <summary>Bodies from this size on are worth giving back (the largest small-object arrays are far smaller).</summary>
    public const long Threshold = 4 * 1024 * 1024;

    /// <summary>How long after the last large body the collection runs (a burst of them costs one).</summary>
    public static readonly TimeSpan Quiet = TimeSpan.FromSeconds(2);

    private static readonly Timer Collector = new(_ => Collect(), null, Timeout.Infinite, Timeout.Infinite);

    public static void Received(long bytes)
    {
        if (bytes >= Threshold) Collector.Change(Quiet, Timeout.InfiniteTimeSpan);
    }

    private static void Collect()
    {
        System.Runtime.GCSettings.LargeObjectHeapCompactionMode = System.Runtime.GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
    }
}
