using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Drover.Sqlite;

/// <summary>
/// A prepared statement driven through SQLite's C API, for the writer's few hot statements:
/// Microsoft.Data.Sqlite's per-execution work (statement enumeration, typed binding of parameter
/// objects, a reader per call) was most of the writer's managed time in the benchmark profile.
/// Values bind by position, in the order their parameters first appear in the SQL.
/// </summary>
internal sealed class RawStatement : IDisposable
{
    private readonly sqlite3 _db;
    private readonly sqlite3_stmt _statement;
    private int _next = 1;

    public RawStatement(SqliteConnection connection, string sql)
    {
        _db = connection.Handle ?? throw new InvalidOperationException("The connection is not open.");
        Check(raw.sqlite3_prepare_v2(_db, sql, out _statement));
    }

    public RawStatement Text(string? value)
    {
        Check(value is null ? raw.sqlite3_bind_null(_statement, _next++) : raw.sqlite3_bind_text(_statement, _next++, value));
        return this;
    }

    public RawStatement Integer(long? value)
    {
        Check(value is { } v ? raw.sqlite3_bind_int64(_statement, _next++, v) : raw.sqlite3_bind_null(_statement, _next++));
        return this;
    }

    public RawStatement Real(double? value)
    {
        Check(value is { } v ? raw.sqlite3_bind_double(_statement, _next++, v) : raw.sqlite3_bind_null(_statement, _next++));
        return this;
    }

    /// <summary>Runs the statement with the values bound since the last run.</summary>
    /// <returns>The first column of the first row it returns (RETURNING), or null when none.</returns>
    public long? Execute()
    {
        try
        {
            long? first = null;
            int rc;
            while ((rc = raw.sqlite3_step(_statement)) == raw.SQLITE_ROW)
                first ??= raw.sqlite3_column_int64(_statement, 0);
            if (rc != raw.SQLITE_DONE) Check(rc);
            return first;
        }
        finally
        {
            raw.sqlite3_reset(_statement);
            _next = 1;
        }
    }

    /// <summary>Runs an INSERT ... ON CONFLICT DO NOTHING with the values bound since the last run.</summary>
    /// <returns>The new row's rowid, or null when it inserted nothing. (RETURNING would say it too, but
    /// SQLite keeps RETURNING's rows in a temporary table it builds at every run.)</returns>
    public long? Insert()
    {
        Execute();
        return raw.sqlite3_changes(_db) > 0 ? raw.sqlite3_last_insert_rowid(_db) : null;
    }

    public void Dispose() => _statement.Dispose();

    private void Check(int rc)
    {
        if (rc is not (raw.SQLITE_OK or raw.SQLITE_ROW or raw.SQLITE_DONE))
            throw new SqliteException(raw.sqlite3_errmsg(_db).utf8_to_string(), rc);
    }
}
