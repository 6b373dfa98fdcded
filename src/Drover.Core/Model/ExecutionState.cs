namespace Drover.Model;

/// <summary>What became of one attempt of a task.</summary>
public enum ExecutionState
{
    Assigned,
    Running,
    Succeeded,
    Failed,
    Canceled,
    /// <summary>The worker stopped heartbeating and the lease expired; the task ran again elsewhere.</summary>
    Lost,
    /// <summary>The worker handed the task back while stopping; the task was queued again.</summary>
    Released,
}
