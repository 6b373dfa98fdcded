using Drover.Model;

namespace Drover.Storage;

/// <param name="Created">False when a task with this id existed and was returned unchanged.</param>
public sealed record CreateOutcome(TaskRecord Task, bool Created);
