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
    public string? ClientId { get; init; }

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
        ClientId = ClientId,
        Status = TaskState.Queued,
        Submitted = submitted,
        Seq = seq,
    };
}
