namespace Drover.Model;

/// <summary>Where a running execution of a task with staged data is: the task is <c>running</c> through all three.</summary>
public enum ExecutionPhase
{
    /// <summary>Fetching its inputs and resources.</summary>
    Staging,
    Running,
    /// <summary>Uploading its <c>$OUTPUT</c>.</summary>
    Uploading,
}
