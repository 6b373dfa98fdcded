using System.Diagnostics;
using Npgsql;

namespace Drover.Tests.Shared;

/// <summary>
/// A throwaway PostgreSQL server for a test run, started from Debian's binaries in a temporary
/// directory on a free port (as the <c>postgres</c> user when the tests run as root), with a fresh
/// database for whoever asks. Never skipped: without the binaries it fails saying what to install.
/// </summary>
public sealed class PostgresServer : IAsyncLifetime
{
    private string _directory = "";
    private string _bin = "";

    public int Port { get; private set; }

    private static bool IsRoot => Environment.UserName == "root";

    public string ConnectionString(string database) =>
        $"Host=127.0.0.1;Port={Port};Username=postgres;Database={database};Timeout=15;Command Timeout=60";

    public async ValueTask InitializeAsync()
    {
        _bin = FindBinaries();
        _directory = Directory.CreateTempSubdirectory("drover-pg-").FullName;
        if (IsRoot) await RunAsync("chown", "postgres", _directory);
        Port = Shared.FreePort.Next();
        await RunAsync(Path.Combine(_bin, "initdb"), "-D", Path.Combine(_directory, "data"), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync");
        await RunAsync(Path.Combine(_bin, "pg_ctl"), "-D", Path.Combine(_directory, "data"), "-l", Path.Combine(_directory, "log"), "-w", "start", "-o",
            $"-p {Port} -k {_directory} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300 -c shared_preload_libraries=pg_stat_statements");
    }

    /// <summary>A new, empty database; returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync()
    {
        var name = $"t_{Guid.NewGuid():N}";
        await using var connection = new NpgsqlConnection(ConnectionString("postgres"));
        await connection.OpenAsync();
        await using var create = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
        await create.ExecuteNonQueryAsync();
        return ConnectionString(name);
    }

    public async Task DropDatabaseAsync(string connectionString)
    {
        var name = new NpgsqlConnectionStringBuilder(connectionString).Database;
        await using var connection = new NpgsqlConnection(ConnectionString("postgres"));
        await connection.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {name} WITH (FORCE)", connection);
        await drop.ExecuteNonQueryAsync();
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (File.Exists(Path.Combine(_directory, "data", "postmaster.pid")))
                await RunAsync(Path.Combine(_bin, "pg_ctl"), "-D", Path.Combine(_directory, "data"), "-m", "immediate", "-w", "stop");
        }
        finally
        {
            if (_directory.Length > 0) Directory.Delete(_directory, recursive: true);
        }
    }

    private static string FindBinaries()
    {
        var candidates = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin"))
                .Where(b => File.Exists(Path.Combine(b, "initdb"))).OrderByDescending(b => b, StringComparer.Ordinal).ToList()
            : [];
        return candidates.FirstOrDefault() ?? throw new InvalidOperationException(
            "PostgreSQL server binaries (initdb, pg_ctl) were not found under /usr/lib/postgresql/*/bin: " +
            "install the postgresql package (apt-get install -y postgresql). The PostgreSQL tests are never skipped.");
    }

    /// <summary>Runs a program to completion (as the postgres user when we are root, as PostgreSQL requires).</summary>
    private static async Task RunAsync(string program, params string[] args)
    {
        var start = new ProcessStartInfo { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (IsRoot && program != "chown")
        {
            start.FileName = "runuser";
            foreach (var a in new[] { "-u", "postgres", "--", program }) start.ArgumentList.Add(a);
        }
        else start.FileName = program;
        foreach (var arg in args) start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{program} {string.Join(' ', args)} exited with {process.ExitCode}: {await error}{await output}");
    }
}
