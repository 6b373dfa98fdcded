using System.Text.Json;

namespace Drover.Contracts;

/// <summary>
/// A task as a client writes it (API.md, "Task"). Loosely typed where the wire allows several shapes
/// (a command is an array or a string); <see cref="Validation.TaskSpecValidator"/> turns it into a
/// <see cref="Model.TaskDefinition"/> or names every field at fault.
/// </summary>
public sealed record TaskSpec
{
    public string? Id { get; init; }
    public string? Name { get; init; }
    public string? Batch { get; init; }
    public string? Group { get; init; }
    public JsonElement? Command { get; init; }
    public JsonElement? Shell { get; init; }
    public string? Handler { get; init; }
    public JsonElement? Args { get; init; }
    public Dictionary<string, string>? Env { get; init; }
    public List<string>? Requires { get; init; }
    public int? Priority { get; init; }
    public int? Retry { get; init; }
    public JsonElement? Timeout { get; init; }
    /// <summary>Not before this time (ISO 8601): the task is <c>pending</c> until then.</summary>
    public string? RunAfter { get; init; }
    /// <summary>Not before this long after it is created (<c>"15m"</c>): the same as <see cref="RunAfter"/>, relative.</summary>
    public JsonElement? In { get; init; }
    /// <summary>Staging URIs: a string or an array of strings (<c>s3://b/k|gunzip</c>).</summary>
    public JsonElement? Input { get; init; }
    public JsonElement? Resource { get; init; }
    public string? Output { get; init; }
    public string? OutputOn { get; init; }
    public string? Container { get; init; }
    /// <summary>Extra engine options: a string (split as a shell would) or an array of strings.</summary>
    public JsonElement? ContainerOptions { get; init; }
    public bool? Cache { get; init; }
}
