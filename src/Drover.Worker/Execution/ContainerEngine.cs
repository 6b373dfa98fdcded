using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Drover.Worker.Execution;

/// <summary>
/// The container engine on this worker, <c>podman</c> or <c>docker</c> (they take the same commands):
/// its program and any global flags given with it (<c>--container-engine "podman --runtime runc"</c>).
/// </summary>
public sealed partial class ContainerEngine
{
    private ContainerEngine(string program, IReadOnlyList<string> globalArgs)
    {
        Program = program;
        GlobalArgs = globalArgs;
    }

    /// <summary>The engine's program, resolved on PATH.</summary>
    public string Program { get; }

    /// <summary>Flags that come before the engine's command (<c>podman --runtime runc run ...</c>).</summary>
    public IReadOnlyList<string> GlobalArgs { get; }

    public string Name => Path.GetFileName(Program);

    /// <summary>
    /// The engine named by <paramref name="spec"/>: a program with its global flags, or <c>auto</c>
    /// for the first of podman and docker on PATH.
    /// </summary>
    /// <exception cref="ArgumentException">The engine is not on this machine.</exception>
    public static ContainerEngine Find(string spec)
    {
        var words = spec.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (words.Length == 0) throw new ArgumentException("--container-engine is empty: give podman, docker, auto or a path.");
        var path = Environment.GetEnvironmentVariable("PATH");
        var candidates = words[0] == "auto" ? ["podman", "docker"] : new[] { words[0] };
        foreach (var candidate in candidates)
        {
            if (PosixProcess.Resolve(candidate, path) is { } program) return new ContainerEngine(program, words[1..]);
        }
        throw new ArgumentException(words[0] == "auto"
            ? "--container-engine auto: neither podman nor docker is on PATH."
            : $"--container-engine: {words[0]} is not on PATH.");
    }

    /// <summary>Where the engine's command line starts: its program, then its global flags.</summary>
    internal ProcessStartInfo Command(IEnumerable<string> args)
    {
        var start = new ProcessStartInfo(Program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in GlobalArgs.Concat(args)) start.ArgumentList.Add(arg);
        return start;
    }

    /// <summary>Runs one engine command (pause, stop, rm) to its end.</summary>
    /// <returns>Its exit code and what it said on stdout.</returns>
    public async Task<(int ExitCode, string Output)> RunAsync(params string[] args)
    {
        using var process = Process.Start(Command(args))!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        await errors;
        return (process.ExitCode, await output);
    }

    /// <summary>The name a run's container gets: it says which worker process started it.</summary>
    internal static string ContainerName(Guid executionId) => $"drover-{Environment.ProcessId}-{executionId:N}";

    /// <summary>
    /// Removes the containers of workers that died without removing theirs (killed -9: the guard
    /// ends the engine's client, not the container it started). Containers of live workers stay.
    /// </summary>
    /// <returns>How many were removed.</returns>
    public async Task<int> RemoveLeftoversAsync()
    {
        var (code, output) = await RunAsync("ps", "-a", "--filter", "name=drover-", "--format", "{{.Names}}");
        if (code != 0) return 0;
        var removed = 0;
        foreach (var name in output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (OurName().Match(name) is not { Success: true } match) continue;
            var pid = int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            if (pid == Environment.ProcessId || PosixProcess.IsAlive(pid) != false) continue;
            if ((await RunAsync("rm", "-f", name)).ExitCode == 0) removed++;
        }
        return removed;
    }

    [GeneratedRegex("^drover-([0-9]+)-[0-9a-f]{32}$")]
    private static partial Regex OurName();
}
