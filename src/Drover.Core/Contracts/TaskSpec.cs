using System.Text.Json;

namespace Drover.Contracts;

/// <summary>
/// A task as a client writes it (API.md, "Task"). Loosely typed where the wire allows several shapes
/// (a command is an array or a string); <see cref="Validation.TaskSpecValidator"/> turns it into a
/// <see cref="Model.TaskDefinition"/> or names every field at fault.
/// </summary>
/// <remarks>
/// Its members have setters, not <c>init</c>: System.Text.Json reads init-only members through a
/// pseudo-constructor that boxes every value into an argument array, and a create reads thousands
/// of specs (2.2 → 0.8 µs per spec measured; issue 17). It is the client's input, never shared state.
/// </remarks>
public sealed record TaskSpec
{
    public string? Id { get; set; }
    public string? Name { get; set; }
    public string? Batch { get; set; }
    public string? Group { get; set; }
    public JsonElement? Command { get; set; }
    public JsonElement? Shell { get; set; }
    public string? Handler { get; set; }
    public JsonElement? Args { get; set; }
    public Dictionary<string, string>? Env { get; set; }
    public List<string>? Requires { get; set; }
    public int? Priority { get; set; }
    public int? Retry { get; set; }
    public JsonElement? Timeout { get; set; }
    /// <summary>Not before this time (ISO 8601): the task is <c>pending</c> until then.</summary>
    public string? RunAfter { get; set; }
    /// <summary>Not before this long after it is created (<c>"15m"</c>): the same as <see cref="RunAfter"/>, relative.</summary>
    public JsonElement? In { get; set; }
    /// <summary>Staging URIs: a string or an array of strings (<c>s3://b/k|gunzip</c>).</summary>
    public JsonElement? Input { get; set; }
    public JsonElement? Resource { get; set; }
    public string? Output { get; set; }
    public string? OutputOn { get; set; }
    public string? Container { get; set; }
    /// <summary>Extra engine options: a string (split as a shell would) or an array of strings.</summary>
    public JsonElement? ContainerOptions { get; set; }
    public bool? Cache { get; set; }
}
