using System.Runtime.InteropServices;

namespace Drover.Worker.Execution;

/// <summary>The few POSIX calls .NET's Process lacks: signalling a whole process group.</summary>
public static partial class PosixProcess
{
    public const int SigKill = 9;
    public const int SigTerm = 15;
    public const int SigCont = 18;
    public const int SigStop = 19;

    private const int NoSuchProcess = 3; // ESRCH

    /// <summary>
    /// Sends a signal to every process of the group led by <paramref name="groupId"/>. Right after its
    /// start the leader may not have made its group yet (its <c>setsid</c> has not run): then the
    /// group-to-be is the leader alone, and the signal goes to it (a pause sent then was lost before).
    /// Only while it is still in this process's own group: a group gone for good (its leader ended,
    /// its pid perhaps another process's by now) gets nothing.
    /// </summary>
    public static void SignalGroup(int groupId, int signal)
    {
        if (groupId <= 0) return;
        if (Kill(-groupId, signal) != 0 && Marshal.GetLastPInvokeError() == NoSuchProcess && GetProcessGroup(groupId) == GetProcessGroup(0))
            _ = Kill(groupId, signal);
    }

    [LibraryImport("libc", EntryPoint = "getpgid")]
    private static partial int GetProcessGroup(int pid);

    /// <summary>Sends a signal to one process.</summary>
    public static void Signal(int processId, int signal)
    {
        if (processId > 0) _ = Kill(processId, signal);
    }

    /// <summary>Whether a process runs with that pid; null where there is no telling (no /proc).</summary>
    public static bool? IsAlive(int pid) => Directory.Exists("/proc/self") ? Directory.Exists($"/proc/{pid}") : null;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    /// <summary>Finds a program on PATH as exec would; null when there is none.</summary>
    public static string? Resolve(string program, string? path)
    {
        // A relative path means the worker's own directory: each run's working directory starts empty.
        if (program.Contains('/')) return File.Exists(program) ? Path.GetFullPath(program) : null;
        foreach (var directory in (path ?? "/usr/local/bin:/usr/bin:/bin").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(directory, program);
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }
}
