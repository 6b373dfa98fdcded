using System.CommandLine;
using System.Globalization;
using Drover.Json;

namespace Drover.Cli.Commands;

/// <summary><c>drover workers</c>: every worker and its state.</summary>
internal static class WorkersCommand
{
    public static Command Create()
    {
        var command = new Command("workers", "List workers");
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var client = CommonOptions.Client(parse);
            var workers = await client.ListWorkersAsync(cancellationToken);
            var table = new TextTable("NAME", "ID", "STATUS", "RUNNING", "CONCURRENCY", "PREFETCH", "BATCH", "PROVIDER", "HOST", "LOAD", "MEMORY", "DISK FREE", "LAST SEEN");
            foreach (var w in workers)
            {
                var stats = w.Stats;
                table.Add(w.Name, w.Id.ToString(), Enums.Name(w.Status), w.Running.ToString(CultureInfo.InvariantCulture),
                    w.Concurrency.ToString(CultureInfo.InvariantCulture), w.PrefetchAuto ? "auto" : w.Prefetch.ToString(CultureInfo.InvariantCulture),
                    w.Batch ?? "(all)", w.Provider is null ? "" : $"{w.Provider}/{w.Flavor}", w.Hostname ?? "",
                    stats?.Load1 is { } load ? $"{load.ToString("0.00", CultureInfo.InvariantCulture)}/{stats.Cpus}" : "",
                    stats?.MemoryUsedBytes is { } used && stats.MemoryTotalBytes is { } total ? $"{Display.Bytes(used)}/{Display.Bytes(total)}" : "",
                    stats?.DiskFreeBytes is { } disk ? Display.Bytes(disk) : "",
                    Display.Time(w.LastSeen));
            }
            table.Write(Console.Out);
            return 0;
        });
        return command;
    }
}
