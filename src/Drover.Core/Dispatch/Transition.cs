using Drover.Model;

namespace Drover.Dispatch;

/// <summary>The new state of a task and of its execution after one event.</summary>
public readonly record struct Transition(TaskRecord Task, ExecutionRecord Execution)
{
    public bool TaskEnded => TaskStateRules.IsEnded(Task.Status);
    public bool TaskQueued => Task.Status == TaskState.Queued;

    /// <summary>
    /// The task as it was just before (so as its stored row is), when the live state made the transition:
    /// a store may then write only the columns that changed.
    /// </summary>
    public TaskRecord? Before { get; init; }
}
