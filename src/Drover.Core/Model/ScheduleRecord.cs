using System.Text.Json;

namespace Drover.Model;

/// <summary>
/// A schedule (<c>POST /api/schedules</c>): a cron expression in a time zone, and the task each
/// firing creates. Its firing state (<see cref="LastFire"/>, <see cref="LastTask"/>,
/// <see cref="Skipped"/>) is written by the scheduler alone; the rest by whoever edits it.
/// </summary>
public sealed record ScheduleRecord
{
    public required string Name { get; init; }
    /// <summary>Five fields (minute hour day month weekday) or six (seconds first).</summary>
    public required string Cron { get; init; }
    /// <summary>An IANA time zone (<c>Europe/Paris</c>); its DST rules decide the firings. UTC when not given.</summary>
    public required string Timezone { get; init; }
    /// <summary>The task each firing creates, as <c>POST /api/tasks</c> takes it.</summary>
    public required JsonElement Task { get; init; }
    /// <summary>When the previous firing's task has not ended: <c>skip</c> this firing, <c>allow</c> both, or <c>cancel-previous</c>.</summary>
    public required string Overlap { get; init; }
    /// <summary>Firings missed while no server ran: <c>once</c> (the latest of them runs at start) or <c>skip</c>.</summary>
    public required string CatchUp { get; init; }
    public bool Paused { get; init; }
    public DateTimeOffset Created { get; init; }
    public DateTimeOffset Updated { get; init; }
    /// <summary>The last firing handled (its task created, or skipped for overlap).</summary>
    public DateTimeOffset? LastFire { get; init; }
    /// <summary>The task the last firing that created one created.</summary>
    public Guid? LastTask { get; init; }
    /// <summary>Firings skipped because the previous task had not ended (<c>overlap: skip</c>).</summary>
    public long Skipped { get; init; }
    /// <summary>Answers only (not stored): the next firing, unless paused.</summary>
    public DateTimeOffset? NextFire { get; init; }

    /// <summary>The definition alone: without the firing state (the scheduler's to write) or answers.</summary>
    public ScheduleRecord Definition() => this with { LastFire = null, LastTask = null, Skipped = 0, NextFire = null };
}
