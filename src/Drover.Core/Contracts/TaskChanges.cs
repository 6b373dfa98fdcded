using System.Text.Json;

namespace Drover.Contracts;

/// <summary>
/// <c>PATCH /api/tasks/{id}</c>, as the API description shows it: <c>name</c> of any task (null
/// clears it); <c>priority</c>, <c>retry</c> and <c>timeout</c> of a task that has not ended; and,
/// before it starts, its definition — <c>command</c>, <c>shell</c>, <c>handler</c>, <c>args</c>
/// replaced together, <c>env</c> on its own. Fields left out stay as they are. The server reads the
/// body itself (Validation.TaskChangesValidator), since null and left out mean different things.
/// </summary>
public sealed record TaskChanges
{
    public JsonElement? Name { get; init; }
    public int? Priority { get; init; }
    public int? Retry { get; init; }
    /// <summary>A duration ("90s", "5m") or seconds; null clears it.</summary>
    public JsonElement? Timeout { get; init; }
    public JsonElement? Command { get; init; }
    public JsonElement? Shell { get; init; }
    public string? Handler { get; init; }
    public JsonElement? Args { get; init; }
    public Dictionary<string, string>? Env { get; init; }
}
