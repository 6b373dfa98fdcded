using Drover.Text;

namespace Drover.Worker.Execution;

/// <summary>
/// A <c>drover</c> script in a folder of its own that runs this worker's drover program, put first
/// on every command task's PATH: <c>drover status "step 3" --progress 0.4</c> works in a task
/// whether Drover was installed as a tool, a package or run from a checkout.
/// </summary>
internal static class DroverShim
{
    /// <returns>The folder holding the script, or null when the worker was not told how to run drover.</returns>
    public static string? Write(WorkerOptions options)
    {
        if (options.DroverCommand is not { Count: > 0 } command) return null;
        var folder = Path.Combine(options.WorkDirectory, $"bin-{Environment.ProcessId}");
        Directory.CreateDirectory(folder);
        var script = Path.Combine(folder, "drover");
        var temporary = script + ".tmp";
        File.WriteAllText(temporary, $"#!/bin/sh\nexec {string.Join(' ', command.Select(ShellWords.Quote))} \"$@\"\n");
        File.SetUnixFileMode(temporary, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        File.Move(temporary, script, overwrite: true);
        return folder;
    }
}
