namespace Drover.Model;

/// <summary>A checked <see cref="Contracts.TaskChanges"/>: each field is either left alone or set (possibly to null).</summary>
public sealed record TaskEdit
{
    public bool SetsName { get; init; }
    public string? Name { get; init; }
    public int? Priority { get; init; }
    public int? Retry { get; init; }
    public bool SetsTimeout { get; init; }
    public TimeSpan? Timeout { get; init; }

    /// <summary>True when it changes more than the name: only a task that has not ended takes that.</summary>
    public bool ChangesDispatch => Priority is not null || Retry is not null || SetsTimeout;

    public TaskRecord ApplyTo(TaskRecord task) => task with
    {
        Name = SetsName ? Name : task.Name,
        Priority = Priority ?? task.Priority,
        Retry = Retry ?? task.Retry,
        Timeout = SetsTimeout ? Timeout : task.Timeout,
    };
}
