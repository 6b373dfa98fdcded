using Drover.Model;

namespace Drover.Dispatch;

/// <summary>Dispatch order among ready tasks: highest priority first, then oldest (lowest seq).</summary>
public readonly record struct ReadyOrder(int Priority, long Seq, Guid Id) : IComparable<ReadyOrder>
{
    public static ReadyOrder Of(TaskRecord task) => new(task.Priority, task.Seq, task.Id);

    public int CompareTo(ReadyOrder other)
    {
        var byPriority = other.Priority.CompareTo(Priority);
        return byPriority != 0 ? byPriority : Seq.CompareTo(other.Seq);
    }
}
