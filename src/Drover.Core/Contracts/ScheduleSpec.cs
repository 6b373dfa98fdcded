using System.Text.Json;

namespace Drover.Contracts;

/// <summary>
/// <c>POST /api/schedules</c> (name, cron and task required; timezone UTC, overlap <c>skip</c>,
/// catch_up <c>once</c> unless given) and <c>PATCH /api/schedules/{name}</c> (any of the rest).
/// </summary>
public sealed record ScheduleSpec
{
    public string? Name { get; init; }
    public string? Cron { get; init; }
    public string? Timezone { get; init; }
    public JsonElement? Task { get; init; }
    public string? Overlap { get; init; }
    public string? CatchUp { get; init; }
    public bool? Paused { get; init; }
}
