namespace Drover.Model;

/// <summary>
/// A task's data fields as the SQL stores keep them: one JSON value in one column, since no query
/// or dispatch decision looks inside (the container, which dispatch needs, has its own column).
/// </summary>
public sealed record TaskStaging
{
    public IReadOnlyList<string>? Input { get; init; }
    public IReadOnlyList<string>? Resource { get; init; }
    public string? Output { get; init; }
    public OutputOn? OutputOn { get; init; }
    public IReadOnlyList<string>? ContainerOptions { get; init; }
    public bool? Cache { get; init; }

    /// <summary>The task's data fields; null for the usual task, which has none.</summary>
    public static TaskStaging? Of(TaskRecord task) =>
        task is { Input: null, Resource: null, Output: null, OutputOn: null, ContainerOptions: null, Cache: false }
            ? null
            : new TaskStaging
            {
                Input = task.Input,
                Resource = task.Resource,
                Output = task.Output,
                OutputOn = task.OutputOn,
                ContainerOptions = task.ContainerOptions,
                Cache = task.Cache ? true : null,
            };

    /// <summary>The task with these data fields.</summary>
    public static TaskRecord Apply(TaskRecord task, TaskStaging? staging) => staging is null
        ? task
        : task with
        {
            Input = staging.Input,
            Resource = staging.Resource,
            Output = staging.Output,
            OutputOn = staging.OutputOn,
            ContainerOptions = staging.ContainerOptions,
            Cache = staging.Cache == true,
        };
}
