namespace Drover.Server.Overview;

/// <summary>
/// What the dashboard's Overview page shows (<c>GET /api/overview</c>), limited to the caller's
/// scope: tasks per state now, queue depth per batch, workers busy and idle, and the tasks that
/// ended in the last hour per step.
/// </summary>
public sealed record OverviewRecord
{
    public required DateTimeOffset Now { get; init; }
    /// <summary>Tasks per state name, every state named (0 included).</summary>
    public required IReadOnlyDictionary<string, long> Counts { get; init; }
    public required IReadOnlyList<BatchDepth> Batches { get; init; }
    public required WorkerSummary Workers { get; init; }
    /// <summary>The length of one step of <see cref="Ended"/>, in seconds.</summary>
    public required int StepSeconds { get; init; }
    /// <summary>The start of the first step counted (the <c>since</c> asked, or an hour ago).</summary>
    public required DateTimeOffset From { get; init; }
    /// <summary>
    /// Set when more tasks ended in the window than one answer reads: tasks that ended before this
    /// time are not counted (the steps before it are incomplete).
    /// </summary>
    public DateTimeOffset? CountedFrom { get; init; }
    /// <summary>The steps in which tasks ended, oldest first; steps with none are left out.</summary>
    public required IReadOnlyList<EndedStep> Ended { get; init; }
    /// <summary>Upper bounds, in seconds, of the run-time bins of each step's <c>durations</c> (one more bin: longer).</summary>
    public required IReadOnlyList<double> DurationBounds { get; init; }
}

/// <summary>One batch's queue: tasks waiting (pending, queued), in hand (assigned, running, paused), ended.</summary>
public sealed record BatchDepth(string Name, bool Paused, long Waiting, long Running, long Ended);

/// <summary>
/// Connected workers: busy (running at least one task), idle (running, none), paused, draining;
/// their task slots and how many are in use.
/// </summary>
public sealed record WorkerSummary(int Busy, int Idle, int Paused, int Draining, int Slots, int SlotsUsed);
