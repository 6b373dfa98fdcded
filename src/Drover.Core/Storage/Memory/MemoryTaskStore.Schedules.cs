using Drover.Model;

namespace Drover.Storage.Memory;

/// <summary>Schedules, by name, under their own lock.</summary>
public sealed partial class MemoryTaskStore : IScheduleStore
{
    private readonly SortedDictionary<string, ScheduleRecord> _schedules = new(StringComparer.Ordinal);

    public Task<bool> PutScheduleAsync(ScheduleRecord schedule, CancellationToken cancellationToken)
    {
        lock (_schedules)
        {
            var existing = _schedules.GetValueOrDefault(schedule.Name);
            _schedules[schedule.Name] = existing is null ? schedule.Definition()
                : schedule.Definition() with { Created = existing.Created, LastFire = existing.LastFire, LastTask = existing.LastTask, Skipped = existing.Skipped };
            return Task.FromResult(existing is null);
        }
    }

    public Task<ScheduleRecord?> GetScheduleAsync(string name, CancellationToken cancellationToken)
    {
        lock (_schedules) return Task.FromResult(_schedules.GetValueOrDefault(name));
    }

    public Task<IReadOnlyList<ScheduleRecord>> ListSchedulesAsync(CancellationToken cancellationToken)
    {
        lock (_schedules) return Task.FromResult<IReadOnlyList<ScheduleRecord>>([.. _schedules.Values]);
    }

    public Task<bool> DeleteScheduleAsync(string name, CancellationToken cancellationToken)
    {
        lock (_schedules) return Task.FromResult(_schedules.Remove(name));
    }

    public Task<bool> RecordFiringAsync(string name, DateTimeOffset fired, Guid? task, CancellationToken cancellationToken)
    {
        lock (_schedules)
        {
            if (!_schedules.TryGetValue(name, out var schedule) || schedule.LastFire >= fired) return Task.FromResult(false);
            _schedules[name] = schedule with { LastFire = fired, LastTask = task ?? schedule.LastTask, Skipped = schedule.Skipped + (task is null ? 1 : 0) };
            return Task.FromResult(true);
        }
    }
}
