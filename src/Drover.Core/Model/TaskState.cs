namespace Drover.Model;

/// <summary>Where a task is in its life (DESIGN.md, "Task lifecycle"). Serialized in snake_case.</summary>
public enum TaskState
{
    Pending,
    Queued,
    Assigned,
    Running,
    Paused,
    Succeeded,
    Failed,
    Canceled,
}
