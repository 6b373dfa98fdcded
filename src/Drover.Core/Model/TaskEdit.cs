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

    /// <summary>What runs (command or handler, shell, args) and its env, replaced whole: only a task that has not started takes that.</summary>
    public TaskDefinition? Definition { get; init; }

    /// <summary>True when it changes more than the name: only a task that has not ended takes that.</summary>
    public bool ChangesDispatch => Priority is not null || Retry is not null || SetsTimeout || Definition is not null;

    public TaskRecord ApplyTo(TaskRecord task) => task with
    {
        Name = SetsName ? Name : task.Name,
        Priority = Priority ?? task.Priority,
        Retry = Retry ?? task.Retry,
        Timeout = SetsTimeout ? Timeout : task.Timeout,
        Command = Definition is { } d ? d.Command : task.Command,
        Shell = Definition is { } s ? s.Shell : task.Shell,
        Handler = Definition is { } h ? h.Handler : task.Handler,
        Args = Definition is { } a ? a.Args : task.Args,
        Env = Definition is { } e ? e.Env : task.Env,
    };

    /// <summary>Whether this edit may apply to a task in this state (else nothing changes).</summary>
    public bool AllowedFor(TaskState status) =>
        Definition is not null ? status is TaskState.Pending or TaskState.Queued
        : !ChangesDispatch || !TaskStateRules.IsEnded(status);
}
