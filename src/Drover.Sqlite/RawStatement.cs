using System.Buffers.Text;
using System.Globalization;
using System.Text;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Drover.Sqlite;

/// <summary>
/// A prepared statement driven through SQLite's C API: the writer's hot statements, and every read
/// of rows. Microsoft.Data.Sqlite's per-execution work (statement enumeration, typed binding of
/// parameter objects, a reader per call) was most of the writer's managed time in the benchmark
/// profile, and its reader's per-column calls (each a type check and a safe-handle reference taken
/// and given back) a fifth of the server's time while it answered a wait for 150,000 tasks.
/// The hot statements bind by position, in the order their parameters first appear in the SQL;
/// queries bind by name (<see cref="Bind"/>). Row values are read with the same names as
/// Microsoft.Data.Sqlite's reader's, so row readers look the same.
/// </summary>
internal sealed class RawStatement : IDisposable
{
    private readonly sqlite3 _db;
    private readonly sqlite3_stmt _statement;
    // The statement's pointer, for the per-column calls: held (a reference on the safe handle) until Dispose.
    private readonly IntPtr _handle;
    private int _next = 1;

    public RawStatement(SqliteConnection connection, string sql)
    {
        _db = connection.Handle ?? throw new InvalidOperationException("The connection is not open.");
        Check(raw.sqlite3_prepare_v2(_db, sql, out _statement));
        var added = false;
        _statement.DangerousAddRef(ref added);
        _handle = _statement.DangerousGetHandle();
    }

    /// <summary>Longer strings are encoded into an array; shorter ones on the stack.</summary>
    private const int MaxStackChars = 256;

    public RawStatement Text(string? value)
    {
        if (value is null) return Null();
        Check(BindText(_next++, value));
        return this;
    }

    private int BindText(int index, string value)
    {
        if (value.Length > MaxStackChars) return BindText(index, Encoding.UTF8.GetBytes(value));
        Span<byte> utf8 = stackalloc byte[value.Length * 3];
        return BindText(index, utf8[..Encoding.UTF8.GetBytes(value, utf8)]);
    }

    /// <summary>A JSON value as its text (as <see cref="System.Text.Json.JsonElement.GetRawText"/> gives it), bound from its UTF-8 in place.</summary>
    public RawStatement Json(System.Text.Json.JsonElement? value) =>
        value is { } element ? Utf8(System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(element)) : Null();

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
        Check(BindText(_next++, value));
        return this;
    }

    private unsafe int BindText(int index, ReadOnlySpan<byte> utf8)
    {
        // An empty span pins as a null pointer, which SQLite binds as NULL: "" points at a byte of its own.
        fixed (byte* text = utf8.IsEmpty ? NonNull : utf8) return SqliteNative.BindText(_handle, index, text, utf8.Length, SqliteNative.Transient);
    }

    private static readonly byte[] NonNull = [0];

    private RawStatement Null()
    {
        Check(SqliteNative.BindNull(_handle, _next++));
        return this;
    }

    public RawStatement Integer(long? value)
    {
        Check(value is { } v ? SqliteNative.BindInt64(_handle, _next++, v) : SqliteNative.BindNull(_handle, _next++));
        return this;
    }

    public RawStatement Real(double? value)
    {
        Check(value is { } v ? SqliteNative.BindDouble(_handle, _next++, v) : SqliteNative.BindNull(_handle, _next++));
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
            while ((rc = SqliteNative.Step(_handle)) == raw.SQLITE_ROW)
                first ??= SqliteNative.ColumnInt64(_handle, 0);
            if (rc != raw.SQLITE_DONE) Check(rc);
            return first;
        }
        finally
        {
            SqliteNative.Reset(_handle);
            _next = 1;
        }
    }

    /// <summary>Runs an INSERT ... ON CONFLICT DO NOTHING with the values bound since the last run.</summary>
    /// <returns>Whether it wrote the row. (RETURNING would say it too, but SQLite keeps RETURNING's rows
    /// in a temporary table it builds at every run.)</returns>
    public bool Insert()
    {
        Execute();
        return raw.sqlite3_changes(_db) > 0;
    }

    /// <summary>Binds a query's parameter by its name (<c>$id</c>): text (a string or <see cref="Utf8Text"/>), an integer, a real, or null.</summary>
    public RawStatement Bind(string name, object? value)
    {
        var index = raw.sqlite3_bind_parameter_index(_statement, name);
        if (index == 0) throw new ArgumentException($"the statement has no parameter {name}", nameof(name));
        Check(value switch
        {
            null or DBNull => SqliteNative.BindNull(_handle, index),
            string text => BindText(index, text),
            Utf8Text text => BindText(index, text.Bytes),
            long number => SqliteNative.BindInt64(_handle, index, number),
            int number => SqliteNative.BindInt64(_handle, index, number),
            bool flag => SqliteNative.BindInt64(_handle, index, flag ? 1 : 0),
            double real => SqliteNative.BindDouble(_handle, index, real),
            _ => throw new ArgumentException($"{name}: a {value.GetType().Name} has no SQLite binding here", nameof(value)),
        });
        return this;
    }

    /// <summary>Runs the query with the values bound since the last run; each row as <paramref name="read"/> makes it.</summary>
    public List<T> Rows<T>(Func<RawStatement, T> read)
    {
        using var held = SqliteNative.Hold(_db);
        try
        {
            var rows = new List<T>();
            int rc;
            while ((rc = SqliteNative.Step(_handle)) == raw.SQLITE_ROW) rows.Add(read(this));
            if (rc != raw.SQLITE_DONE) Check(rc);
            return rows;
        }
        finally
        {
            SqliteNative.Reset(_handle);
            SqliteNative.ClearBindings(_handle);
            _next = 1;
        }
    }

    // The current row's values (inside Rows' read). Text is decoded from SQLite's own UTF-8, and ids
    // and times are parsed from it without a string.

    public int FieldCount => SqliteNative.ColumnCount(_handle);

    public bool IsDBNull(int column) => SqliteNative.ColumnType(_handle, column) == raw.SQLITE_NULL;

    public long GetInt64(int column) => SqliteNative.ColumnInt64(_handle, column);

    public int GetInt32(int column) => checked((int)SqliteNative.ColumnInt64(_handle, column));

    public double GetDouble(int column) => SqliteNative.ColumnDouble(_handle, column);

    public string GetString(int column) => Encoding.UTF8.GetString(Utf8(column));

    /// <summary>An enum stored as its wire name, read without a string.</summary>
    public T GetEnum<T>(int column) where T : struct, Enum
    {
        var text = Utf8(column);
        Span<char> name = stackalloc char[32];
        return text.Length <= name.Length && Drover.Json.Enums.TryParse<T>(name[..Encoding.UTF8.GetChars(text, name)], out var value)
            ? value : throw new FormatException($"column {column} holds no {typeof(T).Name}");
    }

    /// <summary>An id stored as its text ("D").</summary>
    public Guid GetGuid(int column)
    {
        var text = Utf8(column);
        return Utf8Parser.TryParse(text, out Guid id, out var used, 'D') && used == text.Length
            ? id : throw new FormatException($"column {column} holds no id");
    }

    /// <summary>A time stored as <see cref="SqliteValues.TimeText"/> writes it ("O" of its UTC time).</summary>
    public DateTimeOffset GetTime(int column)
    {
        var text = Utf8(column);
        // Utf8Parser reads "O" with its seven fraction digits only; any other text is parsed as .NET's "O" reads it.
        return Utf8Parser.TryParse(text, out DateTimeOffset time, out var used, 'O') && used == text.Length
            ? time : SqliteValues.ParseTime(Encoding.UTF8.GetString(text));
    }

    private unsafe ReadOnlySpan<byte> Utf8(int column)
    {
        // The text first, then its length (SQLite's documented order: the text may be made by a conversion).
        var text = SqliteNative.ColumnText(_handle, column);
        return text == IntPtr.Zero ? [] : new ReadOnlySpan<byte>((void*)text, SqliteNative.ColumnBytes(_handle, column));
    }

    public void Dispose()
    {
        _statement.DangerousRelease();
        _statement.Dispose();
    }

    private void Check(int rc)
    {
        if (rc is not (raw.SQLITE_OK or raw.SQLITE_ROW or raw.SQLITE_DONE))
            throw new SqliteException(raw.sqlite3_errmsg(_db).utf8_to_string(), rc);
    }
}
