using Microsoft.Data.Sqlite;

namespace Drover.Tracker;

/// <summary>
/// Opens a tracker file: one SQLite database (WAL) holding a dictionary's entries and a progress
/// tracker's, marked as Drover's with its application id, made on first open. Several processes
/// may open it at once; SQLite's locks keep them consistent.
/// </summary>
internal static class TrackerFile
{
    /// <summary>"DRVT": tells a tracker file from any other SQLite database.</summary>
    public const int ApplicationId = 0x44525654;
    private const int Version = 1;

    private const string Schema = """
        -- Insertion order is the rowid: a new key gets the next one, an update keeps its own.
        CREATE TABLE IF NOT EXISTS entries (seq INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE, value TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS progress (
            key TEXT PRIMARY KEY, seq INTEGER NOT NULL, done INTEGER NOT NULL DEFAULT 0, tries INTEGER NOT NULL DEFAULT 0,
            aborted INTEGER NOT NULL DEFAULT 0, data TEXT, claimed_by TEXT, claimed_at INTEGER);
        CREATE UNIQUE INDEX IF NOT EXISTS progress_seq ON progress (seq);
        """;

    /// <param name="syncToDisk">Also survive a power loss (fsync at each commit), not only the death of the process.</param>
    public static SqliteConnection Open(string path, bool syncToDisk)
    {
        var full = Path.GetFullPath(path);
        if (Directory.Exists(full)) throw new TrackerFileException($"{full} is a directory, not a tracker file");
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = full, Pooling = false }.ToString());
        try
        {
            connection.Open();
            Execute(connection, $"PRAGMA busy_timeout = 30000; PRAGMA journal_mode = WAL; PRAGMA synchronous = {(syncToDisk ? "FULL" : "NORMAL")};");
            // Reading the schema also finds a damaged file (the header alone may look fine).
            Scalar(connection, "SELECT count(*) FROM sqlite_master");
            if (Scalar(connection, "PRAGMA application_id") != ApplicationId || Scalar(connection, "PRAGMA user_version") < Version)
            {
                // Looked at again under the write lock: another process may be making the file this moment,
                // and between two reads outside it would show its tables before its application id.
                using var create = connection.BeginTransaction(deferred: false);
                var id = Scalar(connection, "PRAGMA application_id", create);
                if (id != ApplicationId && Scalar(connection, "SELECT count(*) FROM sqlite_master", create) > 0)
                    throw new TrackerFileException($"{full} is a SQLite database but not a Drover tracker (application id {id}); give a new path");
                Execute(connection, Schema + $"PRAGMA application_id = {ApplicationId}; PRAGMA user_version = {Version};", create);
                create.Commit();
            }
            else if (Scalar(connection, "PRAGMA user_version") > Version)
            {
                throw new TrackerFileException($"{full} was written by a newer Drover.Tracker (format {Scalar(connection, "PRAGMA user_version")}); update this program");
            }
            return connection;
        }
        catch (SqliteException ex) when (ex.SqliteErrorCode is 26 or 11) // SQLITE_NOTADB, SQLITE_CORRUPT
        {
            connection.Dispose();
            throw new TrackerFileException($"{full} is not a Drover tracker file (it is not a SQLite database, or it is damaged): {ex.Message}", ex);
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    public static void Execute(SqliteConnection connection, string sql, SqliteTransaction? transaction = null)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        command.ExecuteNonQuery();
    }

    private static long Scalar(SqliteConnection connection, string sql, SqliteTransaction? transaction = null)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        return Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }
}
