namespace Drover.Sqlite;

/// <summary>
/// The database holds every task's env, args and output: its file is its owner's alone (0600).
/// SQLite gives the -wal and -shm files the mode of the database file, so making that file first,
/// with this mode, covers all three; files left wider by an older version are narrowed.
/// </summary>
internal static class SqliteFiles
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    public static void Secure(string databasePath)
    {
        // POSIX file modes; elsewhere the directory's own permissions apply.
        if (OperatingSystem.IsWindows() || databasePath == ":memory:" || databasePath.Length == 0) return;
        if (!File.Exists(databasePath))
        {
            using var created = new FileStream(databasePath, new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                UnixCreateMode = OwnerOnly,
            });
        }
        foreach (var path in new[] { databasePath, databasePath + "-wal", databasePath + "-shm" })
        {
            if (File.Exists(path) && (File.GetUnixFileMode(path) & ~OwnerOnly) != 0) File.SetUnixFileMode(path, OwnerOnly);
        }
    }
}
