namespace Drover.Server;

/// <summary>
/// Reads that count many tasks and that nobody waits for (the queue gauges, the Overview's batch
/// counts) take seconds at millions of records. One that took d is not repeated within
/// <see cref="Factor"/>·d, so together they never take more than a twentieth of the store's time.
/// </summary>
public static class CostlyReads
{
    public const int Factor = 20;

    /// <summary>How long the answer of a read that took <paramref name="took"/> stands before it is read again.</summary>
    public static TimeSpan Spacing(TimeSpan took) => took * Factor;
}
