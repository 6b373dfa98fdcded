using System.Text.Json;

namespace Drover.Contracts;

/// <summary>
/// <c>PATCH /api/tasks/{id}</c>: what to change of a task. <c>name</c> of any task; <c>priority</c>,
/// <c>retry</c> and <c>timeout</c> of a task that has not ended (they apply from its next lease or
/// failure on). Fields left out stay as they are; <c>"name": null</c> clears the name.
/// </summary>
public sealed record TaskChanges
{
    public JsonElement? Name { get; init; }
    public int? Priority { get; init; }
    public int? Retry { get; init; }
    /// <summary>A duration ("90s", "5m") or seconds; null clears it.</summary>
    public JsonElement? Timeout { get; init; }
}
