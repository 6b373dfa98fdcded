namespace Drover.Model;

public enum WorkerState
{
    Active,
    /// <summary>Takes no new work and is handing back what it holds.</summary>
    Stopping,
    Stopped,
    /// <summary>Silent past the lease timeout; its tasks went back to the queue.</summary>
    Lost,
}
