using System.Text.Json;
using System.Text.Json.Serialization;
using Drover.Json;

namespace Drover.Contracts;

/// <summary>One task handed to a worker: everything it needs to run it, and the execution id it reports under.</summary>
public sealed record LeasedTask
{
    /// <summary>The handler every worker has: its result is its args (the cost of dispatch alone). It reports only its end, and needs no task token.</summary>
    public const string EchoHandler = "echo";

    public required Guid ExecutionId { get; init; }
    public required Guid TaskId { get; init; }
    public required int Attempt { get; init; }
    public IReadOnlyList<string>? Command { get; init; }
    public string? Shell { get; init; }
    public string? Handler { get; init; }
    public JsonElement? Args { get; init; }
    public IReadOnlyDictionary<string, string>? Env { get; init; }
    [JsonConverter(typeof(NullableDurationJsonConverter))]
    public TimeSpan? Timeout { get; init; }
    public IReadOnlyList<string>? Input { get; init; }
    public IReadOnlyList<string>? Resource { get; init; }
    public string? Output { get; init; }
    public Model.OutputOn? OutputOn { get; init; }
    public string? Container { get; init; }
    public IReadOnlyList<string>? ContainerOptions { get; init; }
    public bool Cache { get; init; }
    public required DateTimeOffset LeaseExpires { get; init; }
    /// <summary>The task's own token (<c>DROVER_TASK_TOKEN</c>): good for setting its status while this execution runs.</summary>
    public string? TaskToken { get; init; }
}
