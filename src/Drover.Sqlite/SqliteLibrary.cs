using Microsoft.Data.Sqlite;

namespace Drover.Sqlite;

/// <summary>
/// SQLite's process-wide settings, made once before the library starts (sqlite3_config is refused
/// after that, and then changes nothing).
/// </summary>
/// <remarks>
/// Memory statistics off: with them, SQLite takes a global mutex around every allocation and free
/// to count the memory in use, which nothing here reads (a profile of the throughput bench had about
/// 4% of the server's CPU in those mutexes). The mutex of each connection stays: a statement a reader
/// forgot to dispose is finalized on the finalizer thread, and only that mutex keeps it from racing
/// the connection's owner.
/// </remarks>
internal static class SqliteLibrary
{
    private const int ConfigMemStatus = 9; // SQLITE_CONFIG_MEMSTATUS

    private static readonly Lazy<bool> Configured = new(() =>
    {
        // Loads the library and its provider (SqliteConnection's static constructor), not SQLite itself,
        // which starts at the first open. A process that opened a database before (a tracker, say) keeps
        // the defaults: the call is then refused (SQLITE_MISUSE) and changes nothing.
        using (new SqliteConnection()) { }
        return SQLitePCL.raw.sqlite3_config(ConfigMemStatus, 0) == SQLitePCL.raw.SQLITE_OK;
    });

    /// <summary>Whether the settings took (false when SQLite had started before): call before any connection opens.</summary>
    public static bool Configure() => Configured.Value;
}
