using System.Text.Json;

namespace Drover.Model;

/// <summary>A validated task to create: what <see cref="Validation.TaskSpecValidator"/> makes of a client's request.</summary>
public sealed record TaskDefinition
{
    public required Guid Id { get; init; }
    public string? Name { get; init; }
    public required string Batch { get; init; }
    public string? Group { get; init; }
    public IReadOnlyList<string>? Command { get; init; }
    public string? Shell { get; init; }
    public string? Handler { get; init; }
    public JsonElement? Args { get; init; }
    public IReadOnlyDictionary<string, string>? Env { get; init; }
    public IReadOnlyList<Guid>? Requires { get; init; }
    public int Priority { get; init; }
    public int Retry { get; init; }
    public TimeSpan? Timeout { get; init; }
    /// <summary>Not before this time; or, with <see cref="RunIn"/>, this long after the store creates it.</summary>
    public DateTimeOffset? RunAfter { get; init; }
    public TimeSpan? RunIn { get; init; }
    /// <summary>Fetched into the run's <c>$INPUT</c> before it starts (normalized staging URIs).</summary>
    public IReadOnlyList<string>? Input { get; init; }
    /// <summary>Fetched once per worker into its cache and given read-only as <c>$RESOURCE</c>.</summary>
    public IReadOnlyList<string>? Resource { get; init; }
    /// <summary>The URI prefix the run's <c>$OUTPUT</c> is uploaded under.</summary>
    public string? Output { get; init; }
    public OutputOn? OutputOn { get; init; }
    /// <summary>The image the command runs in, through the worker's container engine.</summary>
    public string? Container { get; init; }
    public IReadOnlyList<string>? ContainerOptions { get; init; }
    /// <summary>Reuse the outputs of an earlier succeeded task with the same command, container, inputs and environment.</summary>
    public bool Cache { get; init; }
    public string? ClientId { get; init; }
    public Guid? ResubmittedFrom { get; init; }

    /// <summary>A new task with the definition of <paramref name="task"/>, which it names as its origin.</summary>
    public static TaskDefinition ResubmissionOf(TaskRecord task, Guid newId) => new()
    {
        Id = newId,
        Name = task.Name,
        Batch = task.Batch,
        Group = task.Group,
        Command = task.Command,
        Shell = task.Shell,
        Handler = task.Handler,
        Args = task.Args,
        Env = task.Env,
        Requires = task.Requires,
        Priority = task.Priority,
        Retry = task.Retry,
        Timeout = task.Timeout,
        Input = task.Input,
        Resource = task.Resource,
        Output = task.Output,
        OutputOn = task.OutputOn,
        Container = task.Container,
        ContainerOptions = task.ContainerOptions,
        Cache = task.Cache,
        ClientId = task.ClientId,
        ResubmittedFrom = task.Id,
    };

    public TaskRecord ToQueuedRecord(DateTimeOffset submitted, long seq) => new()
    {
        Id = Id,
        Name = Name,
        Batch = Batch,
        Group = Group,
        Command = Command,
        Shell = Shell,
        Handler = Handler,
        Args = Args,
        Env = Env,
        Requires = Requires,
        Priority = Priority,
        Retry = Retry,
        Timeout = Timeout,
        RunAfter = RunAfter ?? (RunIn is { } delay ? submitted + delay : null),
        Input = Input,
        Resource = Resource,
        Output = Output,
        OutputOn = OutputOn,
        Container = Container,
        ContainerOptions = ContainerOptions,
        Cache = Cache,
        ClientId = ClientId,
        ResubmittedFrom = ResubmittedFrom,
        Status = TaskState.Queued,
        Submitted = submitted,
        Seq = seq,
    };
}
