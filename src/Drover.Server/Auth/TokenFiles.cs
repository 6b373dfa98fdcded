using System.Security.Cryptography;

namespace Drover.Server.Auth;

/// <summary>
/// The server's two secrets: the admin token (everything) and the worker token (the worker protocol
/// only). Made at first start as files readable by their owner alone, and reused afterwards.
/// </summary>
public sealed record TokenFiles(string AdminToken, string WorkerToken, string AdminTokenPath, string WorkerTokenPath)
{
    public const string AdminFileName = "admin.token";
    public const string WorkerFileName = "worker.token";

    public static TokenFiles LoadOrCreate(string dataDirectory)
    {
        Hosting.DataDirectory.Create(dataDirectory);
        var adminPath = Path.GetFullPath(Path.Combine(dataDirectory, AdminFileName));
        var workerPath = Path.GetFullPath(Path.Combine(dataDirectory, WorkerFileName));
        return new TokenFiles(ReadOrWrite(adminPath), ReadOrWrite(workerPath), adminPath, workerPath);
    }

    private static string ReadOrWrite(string path)
    {
        const UnixFileMode ownerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        if (File.Exists(path))
        {
            // Made by hand or by an older version with wider permissions: narrowed before it is used.
            if ((File.GetUnixFileMode(path) & ~ownerOnly) != 0) File.SetUnixFileMode(path, ownerOnly);
            var existing = File.ReadAllText(path).Trim();
            if (existing.Length >= 16) return existing;
        }
        var token = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        // Written beside it and renamed into place: whoever reads the data directory meanwhile (a
        // client, `drover submit`, a test waiting for `drover up`) finds no file or the whole token,
        // never an empty one (a CI run's Python README tests read one between its create and write).
        var written = $"{path}.{Environment.ProcessId}.new";
        var options = new FileStreamOptions
        {
            Mode = FileMode.Create,
            Access = FileAccess.Write,
            UnixCreateMode = ownerOnly,
        };
        using (var stream = new FileStream(written, options))
        using (var writer = new StreamWriter(stream))
            writer.WriteLine(token);
        // The file may have existed with wider permissions; narrow them either way.
        File.SetUnixFileMode(written, ownerOnly);
        File.Move(written, path, overwrite: true);
        return token;
    }
}
