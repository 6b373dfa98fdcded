namespace Drover.Storage;

/// <summary>Settings every store backend honours. Validated at start-up by <see cref="Validate"/>.</summary>
public sealed class StoreOptions
{
    /// <summary>How long a lease lives without a heartbeat before its task is queued again. Default 30 s.</summary>
    public TimeSpan LeaseTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How much of each of stdout and stderr is kept per task (the tail); the rest is counted. Default 1 MiB.</summary>
    public int OutputLimitBytes { get; set; } = 1024 * 1024;

    public void Validate()
    {
        if (LeaseTimeout < TimeSpan.FromMilliseconds(100))
            throw new ArgumentException($"LeaseTimeout must be at least 100ms (it is {LeaseTimeout}); set --lease-timeout higher.");
        if (OutputLimitBytes < 0)
            throw new ArgumentException($"OutputLimitBytes must not be negative (it is {OutputLimitBytes}); set --output-limit to 0 or more.");
    }
}
