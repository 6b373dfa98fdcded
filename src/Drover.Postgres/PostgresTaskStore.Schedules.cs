using Drover.Model;
using Drover.Storage;
using Npgsql;

namespace Drover.Postgres;

/// <summary>
/// Schedules: the definition as a JSON document, the firing state in columns, each write one
/// statement; the servers sharing the database all fire, and the firing's task id keeps it once.
/// </summary>
public sealed partial class PostgresTaskStore : IScheduleStore
{
    private const string ScheduleColumns = "doc, last_fire, last_task, skipped";

    public async Task<bool> PutScheduleAsync(ScheduleRecord schedule, CancellationToken cancellationToken)
    {
        // The definition only; the first creation time is kept. xmax = 0 tells an insert from an update.
        await using var command = Command(
            "INSERT INTO schedules AS s (name, doc) VALUES ($1, $2) ON CONFLICT (name) " +
            "DO UPDATE SET doc = coalesce(jsonb_set($2::jsonb, '{created}', s.doc::jsonb -> 'created'), $2::jsonb)::text RETURNING xmax = 0",
            schedule.Name, PgRows.JsonText(schedule.Definition()));
        return (bool)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    public async Task<ScheduleRecord?> GetScheduleAsync(string name, CancellationToken cancellationToken) =>
        (await SchedulesAsync($"SELECT {ScheduleColumns} FROM schedules WHERE name = $1", cancellationToken, name)).FirstOrDefault();

    public Task<IReadOnlyList<ScheduleRecord>> ListSchedulesAsync(CancellationToken cancellationToken) =>
        SchedulesAsync($"SELECT {ScheduleColumns} FROM schedules ORDER BY name", cancellationToken);

    public async Task<bool> DeleteScheduleAsync(string name, CancellationToken cancellationToken)
    {
        await using var command = Command("DELETE FROM schedules WHERE name = $1", name);
        return await command.ExecuteNonQueryAsync(cancellationToken) > 0;
    }

    public async Task<bool> RecordFiringAsync(string name, DateTimeOffset fired, Guid? task, CancellationToken cancellationToken)
    {
        await using var command = Command(
            "UPDATE schedules SET last_fire = $2, last_task = coalesce($3::uuid, last_task), skipped = skipped + $4 " +
            "WHERE name = $1 AND (last_fire IS NULL OR last_fire < $2)",
            name, fired, task, task is null ? 1L : 0L);
        return await command.ExecuteNonQueryAsync(cancellationToken) > 0;
    }

    private async Task<IReadOnlyList<ScheduleRecord>> SchedulesAsync(string sql, CancellationToken cancellationToken, params object?[] values)
    {
        await using var command = Command(sql, values);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var rows = new List<ScheduleRecord>();
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(PgRows.FromJson<ScheduleRecord>(reader.GetString(0))! with
            {
                LastFire = reader.IsDBNull(1) ? null : reader.GetFieldValue<DateTimeOffset>(1),
                LastTask = reader.IsDBNull(2) ? null : reader.GetGuid(2),
                Skipped = reader.GetInt64(3),
            });
        }
        return rows;
    }
}
