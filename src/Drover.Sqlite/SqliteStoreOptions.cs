namespace Drover.Sqlite;

public sealed class SqliteStoreOptions
{
    /// <summary>The database file. Default <c>drover-data/drover.db</c>.</summary>
    public string Path { get; set; } = System.IO.Path.Combine("drover-data", "drover.db");

    /// <summary>
    /// True (default) makes every commit durable against power loss (<c>synchronous=FULL</c>);
    /// false keeps it durable against a crash of the process only (<c>synchronous=NORMAL</c>).
    /// </summary>
    public bool SyncToDisk { get; set; } = true;
}
