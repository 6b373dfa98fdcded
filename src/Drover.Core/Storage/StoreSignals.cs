namespace Drover.Storage;

/// <summary>
/// What a store announces after each commit, so that long-polls wake at once instead of polling:
/// tasks became ready (a lease may now succeed) and tasks ended (a wait may now answer).
/// </summary>
public sealed class StoreSignals
{
    private readonly Lock _gate = new();
    private readonly Dictionary<Guid, TaskCompletionSource> _endWaiters = [];

    public AsyncSignal TasksReady { get; } = new();

    /// <summary>A task that completes when the task ends. Register before reading its state.</summary>
    public Task WhenEnded(Guid taskId)
    {
        lock (_gate)
        {
            if (!_endWaiters.TryGetValue(taskId, out var source))
                _endWaiters[taskId] = source = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return source.Task;
        }
    }

    public void Ended(IEnumerable<Guid> taskIds)
    {
        List<TaskCompletionSource>? done = null;
        lock (_gate)
        {
            if (_endWaiters.Count == 0) return;
            foreach (var id in taskIds)
            {
                if (_endWaiters.Remove(id, out var source)) (done ??= []).Add(source);
            }
        }
        done?.ForEach(s => s.TrySetResult());
    }
}
