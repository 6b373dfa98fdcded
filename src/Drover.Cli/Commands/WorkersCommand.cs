using System.CommandLine;
using System.Globalization;
using Drover.Json;

namespace Drover.Cli.Commands;

/// <summary><c>drover workers</c>: the workers and their state (stopped and lost ones only for a while, or with --all).</summary>
internal static class WorkersCommand
{
    /// <summary>Stopped and lost workers are shown this long after they were last seen (the server purges them after --keep-workers).</summary>
    public static readonly TimeSpan ShownGone = TimeSpan.FromMinutes(10);

    private static readonly Option<bool> All = new("--all") { Description = "Also the workers that stopped or were lost more than 10 minutes ago" };

    private static bool IsLongGone(Model.WorkerRecord worker) =>
        worker.Status is Model.WorkerState.Stopped or Model.WorkerState.Lost && DateTimeOffset.UtcNow - worker.LastSeen > ShownGone;

    public static Command Create()
    {
        var command = new Command("workers", "List workers") { All };
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var client = CommonOptions.Client(parse);
            var every = await client.ListWorkersAsync(cancellationToken);
            var workers = parse.GetValue(All) ? every : [.. every.Where(w => !IsLongGone(w))];
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
            if (every.Count > workers.Count)
                Console.WriteLine($"({every.Count - workers.Count} stopped or lost more than {ShownGone.TotalMinutes:0} minutes ago not shown: --all shows them)");
            return 0;
        });
        return command;
    }
}
