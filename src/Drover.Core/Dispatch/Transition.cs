using Drover.Model;

namespace Drover.Dispatch;

/// <summary>The new state of a task and of its execution after one event.</summary>
public readonly record struct Transition(TaskRecord Task, ExecutionRecord Execution)
{
    public bool TaskEnded => TaskStateRules.IsEnded(Task.Status);
    public bool TaskQueued => Task.Status == TaskState.Queued;
}
