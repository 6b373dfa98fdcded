using System.Diagnostics;

namespace Drover.Server.Recruiting;

/// <summary>
/// A process a provider runs (a local worker, or a deploy or destroy command): its output goes line by
/// line to the job's log and, for a local worker, to a log file of its own; its first line of standard
/// output is kept as the provider's handle on what it made (a Slurm job id, an instance id).
/// </summary>
public sealed class ProviderProcess : IDisposable
{
    private readonly Process _process;
    private readonly TaskCompletionSource<int> _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly StreamWriter? _file;
    private readonly Lock _fileGate = new();
    private int _streamsOpen = 2;

    private ProviderProcess(Process process, JobLog log, string? logFile)
    {
        _process = process;
        Log = log;
        if (logFile is not null)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(logFile)!);
            _file = new StreamWriter(logFile, append: true) { AutoFlush = true };
        }
    }

    public JobLog Log { get; }

    public int Id { get; private set; }

    /// <summary>The first line the process printed on standard output, if any yet.</summary>
    public string? FirstLine { get; private set; }

    /// <summary>Completes with the exit code once the process has exited and its output has been read.</summary>
    public Task<int> Exited => _exited.Task;

    public bool HasExited => _exited.Task.IsCompleted;

    /// <summary>Starts <paramref name="argv"/> with the variables given added to the server's environment; stdin is kept open (or fed <paramref name="input"/> and closed).</summary>
    public static ProviderProcess Start(IReadOnlyList<string> argv, IReadOnlyDictionary<string, string> environment, JobLog log,
        string? logFile = null, string? input = null)
    {
        var start = new ProcessStartInfo(argv[0])
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        foreach (var arg in argv.Skip(1)) start.ArgumentList.Add(arg);
        // Only the token made for this worker, never one the server was started with.
        start.Environment.Remove("DROVER_TOKEN");
        foreach (var (key, value) in environment) start.Environment[key] = value;
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var run = new ProviderProcess(process, log, logFile);
        process.OutputDataReceived += (_, e) => run.Received(e.Data, stdout: true);
        process.ErrorDataReceived += (_, e) => run.Received(e.Data, stdout: false);
        process.Start();
        run.Id = process.Id;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (input is not null)
        {
            try
            {
                process.StandardInput.WriteLine(input);
                process.StandardInput.Close();
            }
            catch (IOException)
            {
                // It exited (or closed its input) without reading it: what it did is in its exit code and output.
            }
        }
        return run;
    }

    /// <summary>A shell command (<c>sh -c</c>).</summary>
    public static ProviderProcess Shell(string command, IReadOnlyDictionary<string, string> environment, JobLog log, string? input = null) =>
        Start(["sh", "-c", command], environment, log, input: input);

    private void Received(string? line, bool stdout)
    {
        if (line is null)
        {
            // Both streams ended: the exit code is known once the process is reaped.
            if (Interlocked.Decrement(ref _streamsOpen) == 0) _ = ReapAsync();
            return;
        }
        if (stdout && FirstLine is null && line.Trim().Length > 0) FirstLine = line.Trim();
        Log.Line(line);
        lock (_fileGate) _file?.WriteLine(line);
    }

    private async Task ReapAsync()
    {
        await _process.WaitForExitAsync();
        lock (_fileGate) _file?.Dispose();
        _exited.TrySetResult(_process.ExitCode);
    }

    /// <summary>Kills the process and everything it started.</summary>
    public void Kill()
    {
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
        }
    }

    /// <summary>Closes its standard input: a local worker started with --stop-with-stdin drains and stops.</summary>
    public void CloseInput()
    {
        try
        {
            _process.StandardInput.Close();
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException)
        {
        }
    }

    public void Dispose() => _process.Dispose();
}
