using System.Diagnostics;

namespace Drover.Tests.Shared;

/// <summary>
/// s3rver (a real S3 API that runs offline, from npm), installed once per machine into a cache
/// directory (<c>$DROVER_S3RVER_HOME</c>, else <c>~/.cache/drover-tests/s3rver-3.7.1</c>), one install
/// at a time across processes. Shared by the tests and the staging benchmark.
/// </summary>
internal static class S3rverInstall
{
    public const string Version = "3.7.1";

    /// <summary>s3rver's own fixed keys.</summary>
    public const string Key = "S3RVER";

    /// <summary>The script to run with node: <c>node ENTRY -d DIR -a 127.0.0.1 -p PORT --configure-bucket NAME</c>.</summary>
    public static async Task<string> EntryAsync()
    {
        var home = Environment.GetEnvironmentVariable("DROVER_S3RVER_HOME") is { Length: > 0 } set
            ? set
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "drover-tests", "s3rver-" + Version);
        var entry = Path.Combine(home, "node_modules", "s3rver", "bin", "s3rver.js");
        if (File.Exists(entry)) return entry;
        Directory.CreateDirectory(home);
        await using var gate = await LockAsync(Path.Combine(home, ".install.lock"));
        if (File.Exists(entry)) return entry;
        using var npm = Process.Start(new ProcessStartInfo("npm", ["install", "--no-audit", "--no-fund", "--prefix", home, "s3rver@" + Version])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        }) ?? throw new InvalidOperationException("npm did not start");
        var output = npm.StandardOutput.ReadToEndAsync();
        var errors = npm.StandardError.ReadToEndAsync();
        await npm.WaitForExitAsync();
        if (npm.ExitCode != 0 || !File.Exists(entry))
            throw new InvalidOperationException($"npm install s3rver@{Version} failed ({npm.ExitCode}):\n{await output}\n{await errors}");
        return entry;
    }

    private static async Task<FileStream> LockAsync(string path)
    {
        var until = DateTime.UtcNow + TimeSpan.FromMinutes(3);
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (DateTime.UtcNow < until)
            {
                await Task.Delay(200);
            }
        }
    }
}
