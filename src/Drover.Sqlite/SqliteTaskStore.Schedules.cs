using Drover.Model;
using Drover.Storage;
using Microsoft.Data.Sqlite;

namespace Drover.Sqlite;

/// <summary>Schedules: the definition as a JSON document, the firing state in columns, written through the one writer.</summary>
public sealed partial class SqliteTaskStore : IScheduleStore
{
    private const string ScheduleColumns = "doc, last_fire, last_task, skipped";

    public Task<bool> PutScheduleAsync(ScheduleRecord schedule, CancellationToken cancellationToken) =>
        _writer.WriteAsync(context =>
        {
            var existing = context.Query("SELECT doc FROM schedules WHERE name = $name", r => SqliteValues.FromJson<ScheduleRecord>(r.GetString(0))!, ("$name", schedule.Name));
            var kept = (existing is [var old] ? schedule with { Created = old.Created } : schedule).Definition();
            context.Execute("INSERT INTO schedules (name, doc) VALUES ($name, $doc) ON CONFLICT (name) DO UPDATE SET doc = $doc",
                ("$name", schedule.Name), ("$doc", SqliteValues.JsonText(kept)!));
            return existing.Count == 0;
        }, cancellationToken);

    public async Task<ScheduleRecord?> GetScheduleAsync(string name, CancellationToken cancellationToken) =>
        (await _reader.QueryAsync($"SELECT {ScheduleColumns} FROM schedules WHERE name = $name", ReadSchedule, cancellationToken, ("$name", name))).FirstOrDefault();

    public Task<IReadOnlyList<ScheduleRecord>> ListSchedulesAsync(CancellationToken cancellationToken) =>
        _reader.QueryAsync($"SELECT {ScheduleColumns} FROM schedules ORDER BY name", ReadSchedule, cancellationToken);

    public Task<bool> DeleteScheduleAsync(string name, CancellationToken cancellationToken) =>
        _writer.WriteAsync(context => context.QueryOnce("DELETE FROM schedules WHERE name = $name RETURNING name", r => r.GetString(0), [("$name", name)]).Count > 0, cancellationToken);

    public Task<bool> RecordFiringAsync(string name, DateTimeOffset fired, Guid? task, CancellationToken cancellationToken) =>
        _writer.WriteAsync(context => context.QueryOnce(
            "UPDATE schedules SET last_fire = $fired, last_task = coalesce($task, last_task), skipped = skipped + $skipped " +
            "WHERE name = $name AND (last_fire IS NULL OR last_fire < $fired) RETURNING name",
            r => r.GetString(0), [("$name", name), ("$fired", SqliteValues.Time(fired)), ("$task", SqliteValues.TextOrNull(task?.ToString())), ("$skipped", task is null ? 1 : 0)]).Count > 0,
            cancellationToken);

    private static ScheduleRecord ReadSchedule(RawStatement row) => SqliteValues.FromJson<ScheduleRecord>(row.GetString(0))! with
    {
        LastFire = row.IsDBNull(1) ? null : SqliteValues.ParseTime(row.GetString(1)),
        LastTask = row.IsDBNull(2) ? null : Guid.Parse(row.GetString(2)),
        Skipped = row.GetInt64(3),
    };
}
