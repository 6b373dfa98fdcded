namespace Drover.Storage;

/// <summary>Settings every store backend honours. Validated at start-up by <see cref="Validate"/>.</summary>
public sealed class StoreOptions
{
    /// <summary>How long a lease lives without a heartbeat before its task is queued again. Default 30 s.</summary>
    public TimeSpan LeaseTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How much of each of stdout and stderr is kept per task (the tail); the rest is counted. Default 1 MiB.</summary>
    public int OutputLimitBytes { get; set; } = 1024 * 1024;

    /// <summary>
    /// How many ended tasks a purge deletes per transaction, at most. A purge of millions (or
    /// <c>--keep-finished</c> catching up) then never holds the database for long: dispatch goes on
    /// between its batches. On SQLite, whose one writer every write waits for, a step is smaller
    /// still: as many as take about 3 ms (<see cref="PurgeSteps"/>). Default 1,000.
    /// </summary>
    public int PurgeBatch { get; set; } = 1000;

    public void Validate()
    {
        if (PurgeBatch < 1)
            throw new ArgumentException($"PurgeBatch must be at least 1 (it is {PurgeBatch}).");
        if (LeaseTimeout < TimeSpan.FromMilliseconds(100))
            throw new ArgumentException($"LeaseTimeout must be at least 100ms (it is {LeaseTimeout}); set --lease-timeout higher.");
        if (OutputLimitBytes < 0)
            throw new ArgumentException($"OutputLimitBytes must not be negative (it is {OutputLimitBytes}); set --output-limit to 0 or more.");
    }
}
