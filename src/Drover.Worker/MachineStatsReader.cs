using System.Globalization;
using Drover.Model;

namespace Drover.Worker;

/// <summary>Reads the machine's load, memory, disk and network counters from /proc (Linux); what it cannot read stays null.</summary>
internal static class MachineStatsReader
{
    public static MachineStats Read(string workDirectory)
    {
        var stats = new MachineStats { Cpus = Environment.ProcessorCount };
        try
        {
            var load = File.ReadAllText("/proc/loadavg").Split(' ');
            stats = stats with { Load1 = Number(load[0]), Load5 = Number(load[1]), Load15 = Number(load[2]) };
        }
        catch (IOException)
        {
        }
        try
        {
            var memory = File.ReadLines("/proc/meminfo").Select(l => l.Split(':')).Where(p => p.Length == 2)
                .ToDictionary(p => p[0], p => long.Parse(p[1].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024);
            if (memory.TryGetValue("MemTotal", out var total) && memory.TryGetValue("MemAvailable", out var available))
                stats = stats with { MemoryTotalBytes = total, MemoryUsedBytes = total - available };
        }
        catch (IOException)
        {
        }
        try
        {
            Directory.CreateDirectory(workDirectory);
            stats = stats with { DiskFreeBytes = new DriveInfo(workDirectory).AvailableFreeSpace };
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
        {
        }
        try
        {
            // /proc/net/dev: "  eth0: rx_bytes rx_packets ... (8 receive fields) tx_bytes ...".
            long received = 0, sent = 0;
            foreach (var line in File.ReadLines("/proc/net/dev").Skip(2))
            {
                var parts = line.Split(':', 2);
                if (parts.Length != 2 || parts[0].Trim() == "lo") continue;
                var fields = parts[1].Split(' ', StringSplitOptions.RemoveEmptyEntries);
                received += long.Parse(fields[0], CultureInfo.InvariantCulture);
                sent += long.Parse(fields[8], CultureInfo.InvariantCulture);
            }
            stats = stats with { NetworkInBytes = received, NetworkOutBytes = sent };
        }
        catch (IOException)
        {
        }
        return stats;
    }

    private static double? Number(string text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) ? value : null;
}
