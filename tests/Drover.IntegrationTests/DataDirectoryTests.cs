using System.Globalization;
using Drover.IntegrationTests.Infrastructure;
using Drover.Model;

namespace Drover.IntegrationTests;

/// <summary>A SQLite data directory: one server at a time, and readable by its owner alone.</summary>
public sealed class DataDirectoryTests : IAsyncLifetime
{
    private readonly DroverCluster _cluster = new();
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => await _cluster.StartServerAsync();

    public async ValueTask DisposeAsync() => await _cluster.DisposeAsync();

    private static string Port() => FreePort.Next().ToString(CultureInfo.InvariantCulture);

    [Fact]
    public async Task A_second_server_or_up_on_the_same_data_directory_refuses_naming_the_first()
    {
        foreach (var args in new[] { new[] { "server", "--port", Port() }, ["up", "--port", Port(), "--workers", "1"] })
        {
            var (exitCode, output) = await DroverProcess.RunAsync([.. args, "--data", _cluster.DataDirectory]);
            Assert.NotEqual(0, exitCode);
            Assert.Contains($"The data directory {_cluster.DataDirectory} is in use by another Drover server", output);
            Assert.Contains($"pid {_cluster.Server!.Id}", output);
            Assert.Contains(_cluster.Url.ToString(), output);
            Assert.DoesNotContain("   at ", output); // one clear line, no stack trace
        }

        // The first goes on serving, and once it is killed (kill -9 leaves no chance to clean up)
        // the directory is free again.
        using (var client = _cluster.Client())
            Assert.Equal(TaskState.Queued, (await client.CreateTaskAsync(Specs.Command("true"), Token)).Status);
        await _cluster.KillServerAsync();
        await _cluster.StartServerAsync();
        using var again = _cluster.Client();
        Assert.Single(await again.ListTasksAsync(new Storage.TaskListFilter(), Token));
    }

    [Fact]
    public async Task The_directory_database_and_tokens_are_the_owners_alone()
    {
        using (var client = _cluster.Client())
            await client.CreateTaskAsync(Specs.Command("true") with { Env = new() { ["SECRET"] = "s3cr3t" } }, Token);
        const UnixFileMode OwnerFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        Assert.Equal(OwnerFile | UnixFileMode.UserExecute, File.GetUnixFileMode(_cluster.DataDirectory));
        foreach (var name in new[] { "drover.db", "drover.db-wal", "drover.db-shm", "admin.token", "worker.token", "server.lock", "server.json" })
            Assert.Equal(OwnerFile, File.GetUnixFileMode(Path.Combine(_cluster.DataDirectory, name)));

        // Files left wider (by hand, or by an older version) are narrowed at the next start.
        await _cluster.Server!.DisposeAsync();
        File.SetUnixFileMode(_cluster.DataDirectory, (UnixFileMode)0b111_101_101);
        foreach (var name in new[] { "drover.db", "admin.token", "worker.token" })
            File.SetUnixFileMode(Path.Combine(_cluster.DataDirectory, name), (UnixFileMode)0b110_100_100);
        await _cluster.StartServerAsync();
        Assert.Equal(OwnerFile | UnixFileMode.UserExecute, File.GetUnixFileMode(_cluster.DataDirectory));
        foreach (var name in new[] { "drover.db", "admin.token", "worker.token" })
            Assert.Equal(OwnerFile, File.GetUnixFileMode(Path.Combine(_cluster.DataDirectory, name)));
    }
}
