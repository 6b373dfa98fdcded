using System.Diagnostics;
using System.Text;

namespace Drover.Tracker.Tests;

/// <summary>A run of the child program (tests/Drover.Tracker.Child): another process on the same file.</summary>
internal sealed class Child : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly TaskCompletionSource _firstLine = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private Child(Process process) => _process = process;

    private static DirectoryInfo Here => new(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory));

    /// <summary>The tests folder of the checkout: .../tests/Drover.Tracker.Tests/bin/&lt;configuration&gt;/net10.0/ is where this runs.</summary>
    private static string Tests => Here.Parent!.Parent!.Parent!.Parent!.FullName;

    // Built beside the tests: .../tests/Drover.Tracker.Child/bin/<configuration>/net10.0/.
    private static string Dll => Path.Combine(Tests, "Drover.Tracker.Child", "bin", Here.Parent!.Name, "net10.0", "Drover.Tracker.Child.dll");

    /// <summary>The Python client's twin of the child program (the same modes), on the same file format.</summary>
    private static string PythonChild => Path.Combine(Tests, "..", "clients", "python", "tests", "tracker_child.py");

    public static Child Start(params string[] args) => Run("dotnet", [Dll, .. args]);

    /// <summary>The same modes, run by Python's drover.tracker (python3 from PATH).</summary>
    public static Child StartPython(params string[] args) => Run("python3", [PythonChild, .. args]);

    private static Child Run(string program, string[] args)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args) start.ArgumentList.Add(arg);
        var process = new Process { StartInfo = start };
        var child = new Child(process);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (child._output) child._output.AppendLine(e.Data);
            child._firstLine.TrySetResult();
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (child._output) child._output.AppendLine("stderr: " + e.Data);
        };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    public int Id => _process.Id;

    public List<string> Lines
    {
        get { lock (_output) return [.. _output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)]; }
    }

    public Task FirstLineAsync(TimeSpan timeout) => _firstLine.Task.WaitAsync(timeout);

    public async Task<int> ExitAsync(TimeSpan timeout)
    {
        await _process.WaitForExitAsync(new CancellationTokenSource(timeout).Token);
        _process.WaitForExit(); // the last lines
        return _process.ExitCode;
    }

    /// <summary>SIGKILL: the process gets no chance to finish anything.</summary>
    public void Kill()
    {
        _process.Kill();
        _process.WaitForExit();
    }

    public void Dispose()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.Dispose();
    }
}
