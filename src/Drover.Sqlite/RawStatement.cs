using System.Globalization;
using System.Text;
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

    /// <summary>Longer strings go through SQLitePCL's own conversion (an array of their UTF-8); shorter ones through the stack.</summary>
    private const int MaxStackChars = 256;

    public RawStatement Text(string? value)
    {
        if (value is null) return Null();
        if (value.Length > MaxStackChars)
        {
            Check(raw.sqlite3_bind_text(_statement, _next++, value));
            return this;
        }
        Span<byte> utf8 = stackalloc byte[value.Length * 3];
        return Utf8(utf8[..Encoding.UTF8.GetBytes(value, utf8)]);
    }

    /// <summary>An id as text ("D", as <see cref="Guid.ToString()"/> writes it), without a string of its own.</summary>
    public RawStatement Id(Guid? value)
    {
        if (value is not { } id) return Null();
        Span<byte> utf8 = stackalloc byte[36];
        id.TryFormat(utf8, out var written, "D");
        return Utf8(utf8[..written]);
    }

    /// <summary>A time as <see cref="SqliteValues.TimeText"/> writes it ("O" of its UTC time), without a string of its own.</summary>
    public RawStatement Time(DateTimeOffset? value)
    {
        if (value is not { } time) return Null();
        Span<byte> utf8 = stackalloc byte[28];
        if (!time.UtcDateTime.TryFormat(utf8, out var written, "O", CultureInfo.InvariantCulture)) throw new FormatException("a time that does not fit its column");
        return Utf8(utf8[..written]);
    }

    /// <summary>Text already in UTF-8 (SQLite copies it).</summary>
    private RawStatement Utf8(ReadOnlySpan<byte> value)
    {
        Check(raw.sqlite3_bind_text(_statement, _next++, value));
        return this;
    }

    private RawStatement Null()
    {
        Check(raw.sqlite3_bind_null(_statement, _next++));
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
