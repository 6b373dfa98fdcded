using System.Diagnostics;
using System.Text;
using Drover.Worker.Execution;

namespace Drover.IntegrationTests.Infrastructure;

/// <summary>A real <c>drover</c> process (server, worker, up or a CLI command) with its output captured.</summary>
public sealed class DroverProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly Lock _gate = new();
    private readonly SemaphoreSlim _newOutput = new(0);

    private DroverProcess(Process process) => _process = process;

    public static string DroverDll => Path.Combine(AppContext.BaseDirectory, "drover.dll");

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public string Output
    {
        get { lock (_gate) return _output.ToString(); }
    }

    /// <param name="dll">Another .NET program to run instead of drover (the samples).</param>
    public static DroverProcess Start(IEnumerable<string> args, IDictionary<string, string>? environment = null, string? workingDirectory = null, string? dll = null) =>
        StartProgram("dotnet", [dll ?? DroverDll, .. args], environment, workingDirectory);

    /// <summary>Any program (a test's helper server), its output kept and waited for as drover's is.</summary>
    public static DroverProcess StartProgram(string program, IEnumerable<string> args, IDictionary<string, string>? environment = null, string? workingDirectory = null)
    {
        var start = new ProcessStartInfo(program)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            WorkingDirectory = workingDirectory ?? AppContext.BaseDirectory,
        };
        foreach (var arg in args) start.ArgumentList.Add(arg);
        start.Environment.Remove("DROVER_URL");
        start.Environment.Remove("DROVER_TOKEN");
        foreach (var (key, value) in environment ?? new Dictionary<string, string>()) start.Environment[key] = value;
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var drover = new DroverProcess(process);
        process.OutputDataReceived += (_, e) => drover.Append(e.Data);
        process.ErrorDataReceived += (_, e) => drover.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return drover;
    }

    /// <summary>Runs a CLI command to its end.</summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(IEnumerable<string> args, IDictionary<string, string>? environment = null)
    {
        await using var process = Start(args, environment);
        await process.WaitForExitAsync(TimeSpan.FromSeconds(60));
        return (process.ExitCode, process.Output);
    }

    /// <summary>Waits for the <paramref name="count"/>th line of output that contains <paramref name="text"/>, and returns it.</summary>
    public async Task<string> WaitForLineAsync(string text, TimeSpan timeout, int count = 1)
    {
        using var deadline = new CancellationTokenSource(timeout);
        while (true)
        {
            var line = Output.Split('\n').Where(l => l.Contains(text, StringComparison.Ordinal)).Skip(count - 1).FirstOrDefault();
            if (line is not null) return line.Trim();
            if (HasExited && _newOutput.CurrentCount == 0)
                throw new InvalidOperationException($"drover exited ({ExitCode}) before printing '{text}':\n{Output}");
            try
            {
                await _newOutput.WaitAsync(deadline.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"drover did not print '{text}' within {timeout}:\n{Output}");
            }
        }
    }

    public void Signal(int signal) => PosixProcess.Signal(_process.Id, signal);

    public async Task WaitForExitAsync(TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"drover did not exit within {timeout}:\n{Output}");
        }
    }

    private bool _disposed;

    public async ValueTask DisposeAsync()
    {
        // A cluster disposes its server again after KillServerAsync did.
        if (_disposed) return;
        _disposed = true;
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_gate) _output.AppendLine(line);
        _newOutput.Release();
    }
}
