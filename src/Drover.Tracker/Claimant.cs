using System.Globalization;

namespace Drover.Tracker;

/// <summary>
/// Who holds a claim: host, process id and the process's start time (so a reused pid is not taken
/// for the claimant). On this host a claim of a process that is gone has expired at once; a claim
/// from another host expires after its timeout.
/// </summary>
internal static class Claimant
{
    public static string Me { get; } = $"{Environment.MachineName}:{Environment.ProcessId}:{StartTime(Environment.ProcessId) ?? "?"}";

    public static bool IsAlive(string claimant, DateTimeOffset claimedAt, TimeSpan timeout, DateTimeOffset now)
    {
        var parts = claimant.Split(':');
        if (parts.Length == 3 && parts[0] == Environment.MachineName && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
            && parts[2] != "?" && OperatingSystem.IsLinux())
            return StartTime(pid) == parts[2];
        return now - claimedAt < timeout;
    }

    /// <summary>The process's start time in clock ticks since boot (/proc/PID/stat, field 22); null when it is gone.</summary>
    private static string? StartTime(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            // The command name (field 2) is in parentheses and may hold spaces: count from after it.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return fields.Length > 19 ? fields[19] : null;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }
}
