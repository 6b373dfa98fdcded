namespace Drover.Model;

/// <summary>The task state machine: which transitions are legal, and which states are final.</summary>
public static class TaskStateRules
{
    public static bool IsEnded(TaskState state) =>
        state is TaskState.Succeeded or TaskState.Failed or TaskState.Canceled;

    /// <summary>The states of a task that has not ended.</summary>
    public static IReadOnlyList<TaskState> Live { get; } = [.. Enum.GetValues<TaskState>().Where(s => !IsEnded(s))];

    /// <summary>True while a worker holds the task under a lease.</summary>
    public static bool IsLeased(TaskState state) =>
        state is TaskState.Assigned or TaskState.Running or TaskState.Paused;

    public static bool CanTransition(TaskState from, TaskState to) => (from, to) switch
    {
        (TaskState.Pending, TaskState.Queued or TaskState.Canceled) => true,
        (TaskState.Queued, TaskState.Assigned or TaskState.Paused or TaskState.Canceled) => true,
        // A lease can be handed back (worker stopping) or lost (worker silent) before the task starts.
        (TaskState.Assigned, TaskState.Running or TaskState.Queued or TaskState.Canceled) => true,
        // A task can end without a separate "started" report when it is short.
        (TaskState.Assigned, TaskState.Succeeded or TaskState.Failed) => true,
        (TaskState.Running, TaskState.Succeeded or TaskState.Failed or TaskState.Canceled) => true,
        (TaskState.Running, TaskState.Queued or TaskState.Paused) => true,
        (TaskState.Paused, TaskState.Running or TaskState.Queued or TaskState.Canceled) => true,
        (TaskState.Paused, TaskState.Succeeded or TaskState.Failed) => true,
        _ => false,
    };
}
