using Npgsql;

namespace Drover.Bench;

/// <summary>
/// What PostgreSQL did during a measured run, from its own counters: transactions and rows written
/// (<c>pg_stat_database</c>, always there) and statements by kind (<c>pg_stat_statements</c>, when
/// the server preloads it: <c>shared_preload_libraries = 'pg_stat_statements'</c>).
/// </summary>
internal sealed class PostgresStats(string connectionString)
{
    private (long Commits, long Inserted, long Updated, long Deleted) _before;
    private bool _statements;

    /// <summary>Empties the task tables (the bench owns this database: --postgres says its tables are replaced).</summary>
    public static async Task ResetAsync(string connectionString)
    {
        await using var connection = await OpenAsync(connectionString);
        await using var command = new NpgsqlCommand(
            "DO $$ BEGIN IF to_regclass('tasks') IS NOT NULL THEN TRUNCATE tasks, executions; END IF; END $$", connection);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>Marks the start of the measured run.</summary>
    public async Task StartAsync()
    {
        await using var connection = await OpenAsync(connectionString);
        try
        {
            await using (var create = new NpgsqlCommand("CREATE EXTENSION IF NOT EXISTS pg_stat_statements", connection)) await create.ExecuteNonQueryAsync();
            await using (var reset = new NpgsqlCommand("SELECT pg_stat_statements_reset()", connection)) await reset.ExecuteNonQueryAsync();
            _statements = true;
        }
        catch (PostgresException)
        {
            _statements = false; // not preloaded: transactions and rows only
        }
        _before = await DatabaseCountersAsync(connection);
    }

    /// <summary>Per task, since <see cref="StartAsync"/>: commits, rows written, and (when available) statements and the busiest ones.</summary>
    public async Task AddToAsync(Result result, int tasks)
    {
        await using var connection = await OpenAsync(connectionString);
        // pg_stat_database is sent by each backend at its transaction's end, at most every 500 ms (PG 15): let the last arrive.
        await Task.Delay(1100);
        var after = await DatabaseCountersAsync(connection);
        result.Add("db_commits_per_task", Math.Round((after.Commits - _before.Commits) / (double)tasks, 2))
            .Add("db_rows_inserted_per_task", Math.Round((after.Inserted - _before.Inserted) / (double)tasks, 2))
            .Add("db_rows_updated_per_task", Math.Round((after.Updated - _before.Updated) / (double)tasks, 2))
            .Add("db_rows_deleted_per_task", Math.Round((after.Deleted - _before.Deleted) / (double)tasks, 2));
        if (!_statements)
        {
            result.Add("db_statements", "pg_stat_statements not preloaded");
            return;
        }
        await using var command = new NpgsqlCommand(
            "SELECT calls, total_exec_time, rows, regexp_replace(query, '\\s+', ' ', 'g') FROM pg_stat_statements " +
            "WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) AND query NOT LIKE '%pg_stat_%' ORDER BY calls DESC", connection);
        await using var reader = await command.ExecuteReaderAsync();
        long calls = 0;
        double milliseconds = 0;
        var top = new List<string>();
        while (await reader.ReadAsync())
        {
            calls += reader.GetInt64(0);
            milliseconds += reader.GetDouble(1);
            if (top.Count < 6)
            {
                var text = reader.GetString(3);
                top.Add($"{reader.GetInt64(0) / (double)tasks:0.###}/task {reader.GetDouble(1) / tasks * 1000:0.#} µs/task: {(text.Length > 90 ? text[..90] + "…" : text)}");
            }
        }
        result.Add("db_statements_per_task", Math.Round(calls / (double)tasks, 2))
            .Add("db_exec_us_per_task", Math.Round(milliseconds / tasks * 1000, 1))
            .Add("db_top_statements", string.Join(" | ", top));
    }

    private static async Task<(long Commits, long Inserted, long Updated, long Deleted)> DatabaseCountersAsync(NpgsqlConnection connection)
    {
        await using var command = new NpgsqlCommand(
            "SELECT xact_commit, tup_inserted, tup_updated, tup_deleted FROM pg_stat_database WHERE datname = current_database()", connection);
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        return (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3));
    }

    private static async Task<NpgsqlConnection> OpenAsync(string connectionString)
    {
        var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        return connection;
    }
}
