using Npgsql;

namespace Drover.Bench;

/// <summary>
/// What PostgreSQL did during a measured run, from <c>pg_stat_statements</c> (exact and at once,
/// unlike <c>pg_stat_database</c>, which idle pooled connections report up to 10 s late): statements,
/// commits, rows written and execution time per task, and the statements that cost most. It needs the
/// server to preload it (<c>shared_preload_libraries = 'pg_stat_statements'</c>); without it the run
/// says so and reports no database figures.
/// </summary>
internal sealed class PostgresStats(string connectionString)
{
    private bool _available;

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
            _available = true;
        }
        catch (PostgresException)
        {
            _available = false;
        }
    }

    /// <summary>Per task, since <see cref="StartAsync"/>.</summary>
    public async Task AddToAsync(Result result, int tasks)
    {
        if (!_available)
        {
            result.Add("db_statements", "pg_stat_statements not preloaded");
            return;
        }
        await using var connection = await OpenAsync(connectionString);
        await using var command = new NpgsqlCommand(
            "SELECT calls, total_exec_time, rows, regexp_replace(query, '\\s+', ' ', 'g') FROM pg_stat_statements " +
            "WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) AND query NOT LIKE '%pg_stat_statements%' " +
            "ORDER BY total_exec_time DESC", connection);
        await using var reader = await command.ExecuteReaderAsync();
        long statements = 0, commits = 0, inserted = 0, updated = 0;
        double milliseconds = 0;
        var top = new List<string>();
        while (await reader.ReadAsync())
        {
            var (calls, time, rows, text) = (reader.GetInt64(0), reader.GetDouble(1), reader.GetInt64(2), reader.GetString(3));
            var verb = text.Split(' ', 2)[0].ToUpperInvariant();
            if (verb == "COMMIT") commits += calls;
            // What the store asks for; not the pool's own resets, transaction brackets or LISTEN.
            if (verb is not ("SELECT" or "INSERT" or "UPDATE" or "DELETE" or "WITH") || text.Contains("pg_advisory_unlock_all", StringComparison.Ordinal)) continue;
            statements += calls;
            milliseconds += time;
            if (verb == "INSERT") inserted += rows;
            if (verb is "UPDATE" or "WITH") updated += rows;
            if (top.Count < 5) top.Add($"{calls / (double)tasks:0.###}/task {time / tasks * 1000:0.#} µs/task: {(text.Length > 80 ? text[..80] + "…" : text)}");
        }
        result.Add("db_statements_per_task", Math.Round(statements / (double)tasks, 3))
            .Add("db_commits_per_task", Math.Round(commits / (double)tasks, 3))
            .Add("db_rows_inserted_per_task", Math.Round(inserted / (double)tasks, 2))
            .Add("db_rows_updated_per_task", Math.Round(updated / (double)tasks, 2))
            .Add("db_exec_us_per_task", Math.Round(milliseconds / tasks * 1000, 1))
            .Add("db_top_statements", string.Join(" | ", top));
    }

    private static async Task<NpgsqlConnection> OpenAsync(string connectionString)
    {
        var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        return connection;
    }
}
