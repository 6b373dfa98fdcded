using System.CommandLine;
using Drover.Json;
using Drover.Model;
using Drover.Storage;
using System.Globalization;

namespace Drover.Cli.Commands;

/// <summary><c>drover tasks</c>: a table of tasks, filtered.</summary>
internal static class TasksCommand
{
    private static readonly Option<string?> Status = new("--status") { Description = "Only tasks in this state" };
    private static readonly Option<string?> Batch = new("--batch") { Description = "Only tasks of this batch" };
    private static readonly Option<int> Limit = new("--limit", "-n") { Description = "At most this many", DefaultValueFactory = _ => 100 };

    /// <summary>Queued tasks naming a handler no connected worker offers wait until one does: say so, and what is offered.</summary>
    private static async Task SayWhatNoWorkerRunsAsync(Client.DroverClient client, IReadOnlyList<TaskRecord> tasks, CancellationToken cancellationToken)
    {
        var wanted = tasks.Where(t => t.Status == TaskState.Queued && t.Handler is not null).Select(t => t.Handler!).ToList();
        if (wanted.Count == 0) return;
        var offered = await client.ListHandlersAsync(cancellationToken);
        var missing = wanted.Where(h => offered.All(o => o.Name != h)).GroupBy(h => h).Select(g => $"{g.Key} ({g.Count()})").ToList();
        if (missing.Count == 0) return;
        Console.WriteLine();
        Console.WriteLine($"Waiting for a worker that offers: {string.Join(", ", missing)}.");
        Console.WriteLine($"Connected workers offer: {(offered.Count == 0 ? "no handlers" : string.Join(", ", offered.Select(o => o.Name)))} (and commands).");
    }

    public static Command Create()
    {
        var command = new Command("tasks", "List tasks") { Status, Batch, Limit };
        command.SetAction(async (parse, cancellationToken) =>
        {
            TaskState? status = null;
            if (parse.GetValue(Status) is { } s)
            {
                if (!Enums.TryParse<TaskState>(s, out var parsed))
                    throw new CliException($"--status must be one of {string.Join(", ", Enums.AllNames<TaskState>())}");
                status = parsed;
            }
            using var client = CommonOptions.Client(parse);
            var tasks = await client.ListTasksAsync(new TaskListFilter { Status = status, Batch = parse.GetValue(Batch), Limit = parse.GetValue(Limit) }, cancellationToken);
            var table = new TextTable("ID", "NAME", "BATCH", "STATUS", "EXIT", "TRIES", "SUBMITTED", "COMMAND");
            foreach (var t in tasks)
            {
                table.Add(t.Id.ToString(), t.Name ?? "", t.Batch, Enums.Name(t.Status),
                    t.ExitCode?.ToString(CultureInfo.InvariantCulture) ?? "", t.Attempts.ToString(CultureInfo.InvariantCulture),
                    Display.Time(t.Submitted), Display.Truncate(Display.What(t), 60));
            }
            table.Write(Console.Out);
            await SayWhatNoWorkerRunsAsync(client, tasks, cancellationToken);
            return 0;
        });
        return command;
    }
}
