using System.Globalization;
using Drover.Postgres;
using Drover.Sqlite;
using Drover.Storage;
using Microsoft.Data.Sqlite;
using Npgsql;
using NpgsqlTypes;

namespace Drover.Bench;

/// <summary>
/// A task database of a given size for the query benchmark, written straight into the store's
/// tables (the schema made by the store itself): 70% succeeded, 10% failed, 20% queued (or, with
/// <c>allEnded</c>, succeeded too); a hundred batches; names <c>job-NNNN-i</c>; submitted over thirty
/// days per million, two to three seconds apart, each ended within 607 seconds of its submission.
/// </summary>
internal static class SyntheticTasks
{
    public static readonly DateTimeOffset Start = new(2026, 10, 1, 0, 0, 0, TimeSpan.Zero);

    private const double MillisecondsApart = 2592.0;

    /// <summary>From the first submission to the last: thirty days at a million tasks.</summary>
    public static TimeSpan Span(int count) => TimeSpan.FromMilliseconds(count * MillisecondsApart);

    private static readonly Guid[] Workers = [.. Enumerable.Range(0, 10).Select(_ => Guid.CreateVersion7())];

    private sealed record Row(Guid Id, string Name, string Batch, int Priority, string Status, int Attempts, int Failures,
        Guid? WorkerId, Guid? ExecutionId, DateTimeOffset Submitted, DateTimeOffset? Started, DateTimeOffset? Completed, int? ExitCode);

    /// <summary>Tasks <c>[0, count)</c> have all ended by then.</summary>
    public static DateTimeOffset EndedBefore(int count) => Start + Span(count) + TimeSpan.FromSeconds(610);

    private static Row Make(int i, bool allEnded)
    {
        var submitted = Start.AddMilliseconds(i * MillisecondsApart);
        var status = (i % 10) switch { < 7 => "succeeded", 7 => "failed", _ => allEnded ? "succeeded" : "queued" };
        var ended = status != "queued";
        var started = ended ? submitted.AddSeconds(1 + i % 7) : (DateTimeOffset?)null;
        return new Row(Guid.CreateVersion7(submitted), $"job-{i % 5000:D4}-{i}", $"batch-{i % 100}", i % 5, status,
            ended ? 1 : 0, status == "failed" ? 1 : 0, ended ? Workers[i % Workers.Length] : null, ended ? Guid.CreateVersion7(submitted) : null,
            submitted, started, started?.AddSeconds(i % 600), ended ? (status == "failed" ? 1 : 0) : null);
    }

    public static void LoadSqlite(string path, int count, bool allEnded = false)
    {
        // The store makes the schema; then the rows go in through one prepared statement, one transaction.
        new SqliteTaskStore(new SqliteStoreOptions { Path = path, SyncToDisk = false }, new StoreOptions(), new StoreSignals(), TimeProvider.System).DisposeAsync().AsTask().GetAwaiter().GetResult();
        using var connection = new SqliteConnection($"Data Source={path}");
        connection.Open();
        using var transaction = connection.BeginTransaction();
        using var insert = connection.CreateCommand();
        insert.Transaction = transaction;
        insert.CommandText =
            "INSERT INTO tasks (id, name, batch, handler, args, priority, status, attempts, failures, worker_id, execution_id, submitted, assigned, started, completed, exit_code) " +
            "VALUES ($id, $name, $batch, 'echo', '1', $priority, $status, $attempts, $failures, $worker, $execution, $submitted, $started, $started, $completed, $exit)";
        var p = new[] { "$id", "$name", "$batch", "$priority", "$status", "$attempts", "$failures", "$worker", "$execution", "$submitted", "$started", "$completed", "$exit" }
            .Select(n => insert.Parameters.Add(new SqliteParameter { ParameterName = n })).ToArray();
        insert.Prepare();
        for (var i = 0; i < count; i++)
        {
            var r = Make(i, allEnded);
            object?[] values = [r.Id.ToString(), r.Name, r.Batch, r.Priority, r.Status, r.Attempts, r.Failures, r.WorkerId?.ToString(),
                r.ExecutionId?.ToString(), Text(r.Submitted), Text(r.Started), Text(r.Completed), r.ExitCode];
            for (var k = 0; k < p.Length; k++) p[k].Value = values[k] ?? DBNull.Value;
            insert.ExecuteNonQuery();
        }
        transaction.Commit();
        SqliteConnection.ClearAllPools();

        // As the SQLite store keeps times: fixed-width UTC text.
        static string? Text(DateTimeOffset? t) => t?.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);
    }

    public static async Task LoadPostgresAsync(string connectionString, int count, bool allEnded = false)
    {
        await new PostgresTaskStore(new PostgresStoreOptions { ConnectionString = connectionString }, new StoreOptions(), new StoreSignals(), TimeProvider.System).DisposeAsync();
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using (var truncate = new NpgsqlCommand("TRUNCATE tasks, executions", connection)) await truncate.ExecuteNonQueryAsync();
        await using (var copy = await connection.BeginBinaryImportAsync(
            "COPY tasks (id, name, batch, handler, args, priority, status, attempts, failures, worker_id, execution_id, submitted, assigned, started, completed, exit_code) FROM STDIN (FORMAT BINARY)"))
        {
            for (var i = 0; i < count; i++)
            {
                var r = Make(i, allEnded);
                await copy.StartRowAsync();
                await copy.WriteAsync(r.Id, NpgsqlDbType.Uuid);
                await copy.WriteAsync(r.Name, NpgsqlDbType.Text);
                await copy.WriteAsync(r.Batch, NpgsqlDbType.Text);
                await copy.WriteAsync("echo", NpgsqlDbType.Text);
                await copy.WriteAsync("1", NpgsqlDbType.Text);
                await copy.WriteAsync(r.Priority, NpgsqlDbType.Integer);
                await copy.WriteAsync(r.Status, NpgsqlDbType.Text);
                await copy.WriteAsync(r.Attempts, NpgsqlDbType.Integer);
                await copy.WriteAsync(r.Failures, NpgsqlDbType.Integer);
                await WriteNullableAsync(copy, r.WorkerId, NpgsqlDbType.Uuid);
                await WriteNullableAsync(copy, r.ExecutionId, NpgsqlDbType.Uuid);
                await copy.WriteAsync(r.Submitted, NpgsqlDbType.TimestampTz);
                await WriteNullableAsync(copy, r.Started, NpgsqlDbType.TimestampTz);
                await WriteNullableAsync(copy, r.Started, NpgsqlDbType.TimestampTz);
                await WriteNullableAsync(copy, r.Completed, NpgsqlDbType.TimestampTz);
                await WriteNullableAsync(copy, r.ExitCode, NpgsqlDbType.Integer);
            }
            await copy.CompleteAsync();
        }
        // As after any bulk load: statistics for the planner, and the pages the load (and the vacuum's
        // hint bits) dirtied written out now rather than by a checkpoint in the middle of a measurement.
        await using var analyze = new NpgsqlCommand("VACUUM ANALYZE tasks", connection);
        await analyze.ExecuteNonQueryAsync();
        await using var checkpoint = new NpgsqlCommand("CHECKPOINT", connection);
        await checkpoint.ExecuteNonQueryAsync();
    }

    private static async Task WriteNullableAsync<T>(NpgsqlBinaryImporter copy, T? value, NpgsqlDbType type) where T : struct
    {
        if (value is { } v) await copy.WriteAsync(v, type);
        else await copy.WriteNullAsync();
    }
}
