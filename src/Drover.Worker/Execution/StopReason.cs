namespace Drover.Worker.Execution;

public enum StopReason
{
    None,
    /// <summary>The worker is stopping: the task is interrupted and handed back to the queue.</summary>
    Interrupted,
    /// <summary>The server says the lease is no longer ours: stop and report nothing.</summary>
    Stale,
}
