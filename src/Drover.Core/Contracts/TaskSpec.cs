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
}
