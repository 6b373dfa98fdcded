using System.Diagnostics;
using System.Formats.Tar;

namespace Drover.IntegrationTests.Infrastructure;

/// <summary>
/// A real podman for container tasks, with no registry: a tiny image made from Debian's
/// busybox-static, imported once per test run, and a containers.conf of the test's own that picks
/// the runc runtime, the cgroupfs manager and explicit ulimits (what this kind of VM needs; see
/// shared/CONTAINERS.md). Workers find the file through <c>CONTAINERS_CONF</c>; the machine's own
/// configuration is left alone.
/// </summary>
public static class Podman
{
    public const string Image = "localhost/drover-test:busybox";

    private static readonly string[] Applets = ["sh", "echo", "sleep", "cat", "ls", "tr", "touch", "seq", "wc", "test", "env", "mkdir"];
    private static readonly Lazy<Task<string>> Configured = new(PrepareAsync);

    /// <summary>What a worker's environment needs to run containers here, the image imported.</summary>
    public static async Task<IReadOnlyDictionary<string, string>> EnvironmentAsync() =>
        new Dictionary<string, string> { ["CONTAINERS_CONF"] = await Configured.Value };

    /// <summary>Runs podman with the test's configuration; its exit code and stdout.</summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(params string[] args)
    {
        var start = new ProcessStartInfo("podman") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args) start.ArgumentList.Add(arg);
        start.Environment["CONTAINERS_CONF"] = await Configured.Value;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await output + await errors);
    }

    /// <summary>The containers (running or stopped) of one execution: none once it ended.</summary>
    public static async Task<string> ContainersOfAsync(Guid executionId) =>
        (await RunAsync("ps", "-a", "--filter", $"name={executionId:N}", "--format", "{{.Names}} {{.Status}}")).Output.Trim();

    private static async Task<string> PrepareAsync()
    {
        var home = Path.Combine(Path.GetTempPath(), "drover-tests-podman");
        Directory.CreateDirectory(home);
        var conf = Path.Combine(home, "containers.conf");
        await File.WriteAllTextAsync(conf, """
            [containers]
            default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]
            [engine]
            runtime = "runc"
            cgroup_manager = "cgroupfs"
            """);
        var root = Directory.CreateTempSubdirectory("drover-busybox-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(root, "bin"));
            File.Copy("/bin/busybox", Path.Combine(root, "bin", "busybox"));
            foreach (var applet in Applets) File.CreateSymbolicLink(Path.Combine(root, "bin", applet), "busybox");
            var archive = root + ".tar";
            await TarFile.CreateFromDirectoryAsync(root, archive, includeBaseDirectory: false);
            var start = new ProcessStartInfo("podman", ["import", archive, Image]) { RedirectStandardOutput = true, RedirectStandardError = true };
            start.Environment["CONTAINERS_CONF"] = conf;
            using var process = Process.Start(start)!;
            var errors = process.StandardError.ReadToEndAsync();
            await process.StandardOutput.ReadToEndAsync();
            await process.WaitForExitAsync();
            if (process.ExitCode != 0) throw new InvalidOperationException($"podman import failed: {await errors}");
            File.Delete(archive);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
        return conf;
    }
}
