using System.Collections;

namespace Drover.Worker;

/// <summary>A task's logging scope (its id and the worker's): one small object per task where a dictionary made five.</summary>
internal sealed class TaskLogScope(Guid taskId, Guid workerId) : IReadOnlyList<KeyValuePair<string, object?>>
{
    public int Count => 2;

    public KeyValuePair<string, object?> this[int index] => index switch
    {
        0 => new("task_id", taskId),
        1 => new("worker_id", workerId),
        _ => throw new ArgumentOutOfRangeException(nameof(index)),
    };

    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator()
    {
        yield return this[0];
        yield return this[1];
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public override string ToString() => $"task_id:{taskId} worker_id:{workerId}";
}
