using System.Runtime.InteropServices;

namespace Drover.Sqlite;

/// <summary>
/// SQLite's C functions called with the statement's pointer: SQLitePCL's take its safe handle, and
/// referencing and releasing it around every column read or parameter bound cost more than the call.
/// Column reads, binds and resets neither block nor call back into .NET, so they skip the GC
/// transition; a step may do both (I/O, the REGEXP function).
/// </summary>
internal static partial class SqliteNative
{
    private const string Library = "e_sqlite3";

    [LibraryImport(Library, EntryPoint = "sqlite3_step")]
    public static partial int Step(IntPtr statement);

    [LibraryImport(Library, EntryPoint = "sqlite3_reset")]
    [SuppressGCTransition]
    public static partial int Reset(IntPtr statement);

    [LibraryImport(Library, EntryPoint = "sqlite3_clear_bindings")]
    [SuppressGCTransition]
    public static partial int ClearBindings(IntPtr statement);

    [LibraryImport(Library, EntryPoint = "sqlite3_db_mutex")]
    [SuppressGCTransition]
    private static partial IntPtr DbMutex(IntPtr db);

    // Entering may wait for another thread (the finalizer's, finalizing a statement): not without the transition.
    [LibraryImport(Library, EntryPoint = "sqlite3_mutex_enter")]
    private static partial void MutexEnter(IntPtr mutex);

    [LibraryImport(Library, EntryPoint = "sqlite3_mutex_leave")]
    [SuppressGCTransition]
    private static partial void MutexLeave(IntPtr mutex);

    /// <summary>
    /// Holds the connection's own mutex until disposed, on this thread. SQLite takes that mutex (a
    /// recursive one) in every call on the connection, a bind, a step or a column read: taken there
    /// by a thread that already holds it, it is a count kept, not an atomic exchange with the
    /// memory bus. A wait's read of 150,000 task rows makes about 15 million such calls (their lock
    /// and unlock were 8% of the server's time as it answered). Held only around synchronous work
    /// of one thread (a commit, a query's rows); every other thread's call waits, as it would anyway.
    /// </summary>
    public static Held Hold(SQLitePCL.sqlite3 db) => new(DbMutex(db.DangerousGetHandle()));

    public readonly ref struct Held
    {
        private readonly IntPtr _mutex;

        // Null when the connection has no mutex (SQLite built or configured single- or multi-thread).
        internal Held(IntPtr mutex)
        {
            _mutex = mutex;
            if (mutex != IntPtr.Zero) MutexEnter(mutex);
        }

        public void Dispose()
        {
            if (_mutex != IntPtr.Zero) MutexLeave(_mutex);
        }
    }

    /// <summary>SQLite's SQLITE_TRANSIENT: it copies the bound text before the call returns.</summary>
    public static readonly IntPtr Transient = new(-1);

    [LibraryImport(Library, EntryPoint = "sqlite3_bind_text")]
    [SuppressGCTransition]
    public static unsafe partial int BindText(IntPtr statement, int index, byte* text, int bytes, IntPtr destructor);

    [LibraryImport(Library, EntryPoint = "sqlite3_bind_int64")]
    [SuppressGCTransition]
    public static partial int BindInt64(IntPtr statement, int index, long value);

    [LibraryImport(Library, EntryPoint = "sqlite3_bind_double")]
    [SuppressGCTransition]
    public static partial int BindDouble(IntPtr statement, int index, double value);

    [LibraryImport(Library, EntryPoint = "sqlite3_bind_null")]
    [SuppressGCTransition]
    public static partial int BindNull(IntPtr statement, int index);

    [LibraryImport(Library, EntryPoint = "sqlite3_column_count")]
    [SuppressGCTransition]
    public static partial int ColumnCount(IntPtr statement);

    [LibraryImport(Library, EntryPoint = "sqlite3_column_type")]
    [SuppressGCTransition]
    public static partial int ColumnType(IntPtr statement, int column);

    [LibraryImport(Library, EntryPoint = "sqlite3_column_int64")]
    [SuppressGCTransition]
    public static partial long ColumnInt64(IntPtr statement, int column);

    [LibraryImport(Library, EntryPoint = "sqlite3_column_double")]
    [SuppressGCTransition]
    public static partial double ColumnDouble(IntPtr statement, int column);

    [LibraryImport(Library, EntryPoint = "sqlite3_column_text")]
    [SuppressGCTransition]
    public static partial IntPtr ColumnText(IntPtr statement, int column);

    [LibraryImport(Library, EntryPoint = "sqlite3_column_bytes")]
    [SuppressGCTransition]
    public static partial int ColumnBytes(IntPtr statement, int column);
}
