using Drover.Model;

namespace Drover.Storage;

/// <summary>
/// Schedules, kept in the task database beside the tasks (every backend; <c>--store none</c> keeps
/// them in memory). A firing is made exactly once by its task's id, derived from the schedule and
/// the time it fires for (creating a task with an id that exists is a no-op), so several servers, or
/// a server restarting mid-firing, never make two; this store only remembers how far firing got.
/// </summary>
public interface IScheduleStore
{
    /// <summary>Creates the schedule, or replaces its definition (name, cron, task, paused…) keeping its firing state and creation time; true when it was new.</summary>
    Task<bool> PutScheduleAsync(ScheduleRecord schedule, CancellationToken cancellationToken);

    Task<ScheduleRecord?> GetScheduleAsync(string name, CancellationToken cancellationToken);

    /// <summary>Every schedule, by name.</summary>
    Task<IReadOnlyList<ScheduleRecord>> ListSchedulesAsync(CancellationToken cancellationToken);

    Task<bool> DeleteScheduleAsync(string name, CancellationToken cancellationToken);

    /// <summary>
    /// Records a firing handled: <see cref="ScheduleRecord.LastFire"/> moves forward only (a firing
    /// older than the last one recorded changes nothing), with the task it created, or one more
    /// skipped firing when <paramref name="task"/> is null. Returns false when nothing changed.
    /// </summary>
    Task<bool> RecordFiringAsync(string name, DateTimeOffset fired, Guid? task, CancellationToken cancellationToken);
}
