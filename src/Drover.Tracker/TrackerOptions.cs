namespace Drover.Tracker;

public sealed record TrackerOptions
{
    /// <summary>
    /// Also survive a power loss or an operating-system crash (an fsync at every commit: slower).
    /// Without it a write that returned survives the death of the process (kill -9), which is what
    /// a program resuming after a crash needs.
    /// </summary>
    public bool SyncToDisk { get; init; }

    /// <summary>How values are written as JSON.</summary>
    public System.Text.Json.JsonSerializerOptions Json { get; init; } = new(System.Text.Json.JsonSerializerDefaults.Web);
}
