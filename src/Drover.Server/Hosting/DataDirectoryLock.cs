using System.Text.Json;

namespace Drover.Server.Hosting;

/// <summary>
/// One server per SQLite data directory: two on the same database would each dispatch every task
/// (each keeps its own ready set in memory), so every task would run twice. The server holds an
/// exclusive lock on <c>server.lock</c> for as long as it runs (the kernel lets go of it when the
/// process dies, even by kill -9), and writes its pid and URL to <c>server.json</c> so that a second
/// server can say which one holds the directory.
/// </summary>
public sealed class DataDirectoryLock : IDisposable
{
    public const string LockFileName = "server.lock";
    public const string InfoFileName = "server.json";

    private readonly FileStream _lock;
    private readonly string _infoPath;

    private DataDirectoryLock(FileStream held, string infoPath)
    {
        _lock = held;
        _infoPath = infoPath;
    }

    /// <exception cref="DataDirectoryInUseException">Another live server holds the directory.</exception>
    public static DataDirectoryLock Acquire(string dataDirectory)
    {
        var directory = Path.GetFullPath(dataDirectory);
        DataDirectory.Create(directory);
        var lockPath = Path.Combine(directory, LockFileName);
        var infoPath = Path.Combine(directory, InfoFileName);
        try
        {
            // FileShare.None is an exclusive flock(2) on Linux, refused at once when held elsewhere.
            var held = new FileStream(lockPath, new FileStreamOptions
            {
                Mode = FileMode.OpenOrCreate,
                Access = FileAccess.ReadWrite,
                Share = FileShare.None,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            });
            return new DataDirectoryLock(held, infoPath);
        }
        catch (IOException)
        {
            throw new DataDirectoryInUseException(directory, ReadInfo(infoPath));
        }
    }

    /// <summary>Records who holds the directory, once the address is known.</summary>
    public void Announce(Uri url) => Write(_infoPath, url);

    /// <summary>Records this server's address in <c>server.json</c> of a directory it does not lock (a store other than SQLite).</summary>
    public static void Record(string dataDirectory, Uri url) => Write(Path.Combine(Path.GetFullPath(dataDirectory), InfoFileName), url);

    private static void Write(string infoPath, Uri url)
    {
        var info = new ServerInfo(Environment.ProcessId, url.ToString());
        var temporary = infoPath + ".tmp";
        File.WriteAllText(temporary, JsonSerializer.Serialize(info, ServerInfo.Json));
        File.SetUnixFileMode(temporary, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.Move(temporary, infoPath, overwrite: true);
    }

    /// <summary>What <c>server.json</c> says, or null when it is missing or unreadable.</summary>
    public static ServerInfo? ReadInfo(string infoPath)
    {
        try
        {
            return JsonSerializer.Deserialize<ServerInfo>(File.ReadAllText(infoPath), ServerInfo.Json);
        }
        catch (Exception ex) when (ex is IOException or JsonException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    public void Dispose()
    {
        try
        {
            File.Delete(_infoPath);
        }
        catch (IOException)
        {
        }
        _lock.Dispose();
    }
}

/// <summary>Who holds a data directory: written by the server that holds it.</summary>
public sealed record ServerInfo(int Pid, string Url)
{
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
}

public sealed class DataDirectoryInUseException(string directory, ServerInfo? holder) : Exception(
    $"The data directory {directory} is in use by another Drover server" +
    (holder is null ? "" : $" (pid {holder.Pid}, {holder.Url})") +
    "; stop that one first, or give this one its own --data directory.");
