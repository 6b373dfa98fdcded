using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace Drover.Tracker;

/// <summary>
/// What a dictionary or a tracker holds on its file: a connection that writes (through group
/// commit) and one that reads (a reader never waits behind a commit, WAL), and the JSON options.
/// </summary>
internal sealed class TrackerConnections : IDisposable
{
    private readonly SqliteConnection _write;
    private readonly SqliteConnection _read;
    private readonly Lock _reading = new();
    private readonly GroupCommit _commits;

    public TrackerConnections(string path, TrackerOptions options)
    {
        Json = options.Json;
        _write = TrackerFile.Open(path, options.SyncToDisk);
        try
        {
            _read = TrackerFile.Open(path, options.SyncToDisk);
        }
        catch
        {
            _write.Dispose();
            throw;
        }
        _commits = new GroupCommit(_write);
        Path = System.IO.Path.GetFullPath(path);
    }

    public string Path { get; }

    public JsonSerializerOptions Json { get; }

    /// <summary>A write, returning once committed (sharing the commit with the writes of other threads).</summary>
    public T Write<T>(Func<SqliteConnection, SqliteTransaction, T> work) => _commits.Run(work);

    public T Read<T>(Func<SqliteConnection, T> read)
    {
        lock (_reading) return read(_read);
    }

    public void Dispose()
    {
        _write.Dispose();
        _read.Dispose();
    }
}
