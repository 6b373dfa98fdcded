using Drover.Model;

namespace Drover.Storage;

/// <param name="Created">False when a task with this id existed and was returned unchanged.</param>
public sealed record CreateOutcome(TaskRecord Task, bool Created);

/// <summary>
/// Tasks made by <see cref="ITaskStore.CreateUnsyncedAsync"/>: committed (readable, dispatched), but
/// perhaps not yet on disk. <see cref="SyncAsync"/> returns once they are.
/// </summary>
public sealed record UnsyncedCreate(IReadOnlyList<CreateOutcome> Outcomes, Func<CancellationToken, Task> SyncAsync);
