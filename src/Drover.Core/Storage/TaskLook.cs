using Drover.Model;

namespace Drover.Storage;

/// <summary>One task as a wait first sees it (<see cref="ITaskReader.LookAsync"/>): its state, and its record once it has ended.</summary>
public readonly record struct TaskLook(Guid Id, TaskState Status, TaskRecord? Ended);
