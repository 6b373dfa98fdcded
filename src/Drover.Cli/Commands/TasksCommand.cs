using System.CommandLine;
using Drover.Json;
using Drover.Model;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Drover.Cli.Commands;

/// <summary><c>drover tasks</c>: a table of tasks, filtered, newest first, a page at a time, saying how many more match.</summary>
internal static class TasksCommand
{
    private static readonly Option<string?> Status = new("--status") { Description = "Only tasks in this state" };
    private static readonly Option<string?> Batch = new("--batch") { Description = "Only tasks of this batch" };
    private static readonly Option<string?> Group = new("--group") { Description = "Only tasks of this group" };
    private static readonly Option<int> Limit = new("--limit", "-n") { Description = "At most this many", DefaultValueFactory = _ => 100 };
    private static readonly Option<string?> Before = new("--before") { Description = "Only tasks submitted before this one (the next page: the last id shown)" };
    private static readonly Option<string?> After = new("--after") { Description = "Only tasks submitted after this one" };
    private static readonly Option<string> Sort = new("--sort")
    {
        Description = "Order by a field, '-' first for descending: -id (newest first, the default), id, -completed, priority...",
        DefaultValueFactory = _ => "-id",
    };

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

    private static string Cursor(string text, string option) =>
        Validation.Ids.TryParse(text, out var id) ? id.ToString() : throw new CliException($"{option}: '{text}' is not a task id");

    public static Command Create()
    {
        var command = new Command("tasks", "List tasks, newest first, a page at a time (--before the last id for the next)") { Status, Batch, Group, Limit, Before, After, Sort };
        command.SetAction(async (parse, cancellationToken) =>
        {
            TaskState? status = null;
            if (parse.GetValue(Status) is { } s)
            {
                if (!Enums.TryParse<TaskState>(s, out var parsed))
                    throw new CliException($"--status must be one of {string.Join(", ", Enums.AllNames<TaskState>())}");
                status = parsed;
            }
            var limit = parse.GetValue(Limit);
            if (limit is < 1 or > Query.TaskQuery.MaxLimit) throw new CliException($"--limit must be from 1 to {Query.TaskQuery.MaxLimit}");
            // A query: its filter, newest first by id (UUIDv7 ids are in submission order), and a count of what else matches.
            var filter = new JsonObject();
            if (status is { } state) filter["status"] = Enums.Name(state);
            if (parse.GetValue(Batch) is { } batch) filter["batch"] = batch;
            if (parse.GetValue(Group) is { } group) filter["group"] = group;
            var cursor = new JsonObject();
            if (parse.GetValue(Before) is { } before) cursor["$lt"] = Cursor(before, "--before");
            if (parse.GetValue(After) is { } after) cursor["$gt"] = Cursor(after, "--after");
            if (cursor.Count > 0) filter["id"] = cursor;
            var sort = parse.GetValue(Sort)!;
            var order = sort.TrimStart('-') == "id" ? new JsonArray(sort) : new JsonArray(sort, "-id");
            using var client = CommonOptions.Client(parse);
            var found = await client.QueryAsync(JsonSerializer.SerializeToElement(new JsonObject { ["filter"] = filter, ["sort"] = order, ["limit"] = limit }), cancellationToken);
            var tasks = found.Deserialize<List<TaskRecord>>(DroverJson.Options)!;
            var table = new TextTable("ID", "NAME", "BATCH", "STATUS", "EXIT", "TRIES", "SUBMITTED", "COMMAND");
            foreach (var t in tasks)
            {
                table.Add(t.Id.ToString(), t.Name ?? "", t.Batch, Enums.Name(t.Status),
                    t.ExitCode?.ToString(CultureInfo.InvariantCulture) ?? "", t.Attempts.ToString(CultureInfo.InvariantCulture),
                    Display.Time(t.Submitted), Display.Truncate(Display.What(t), 60));
            }
            table.Write(Console.Out);
            if (tasks.Count == limit)
            {
                var more = await client.CountTasksAsync(JsonSerializer.SerializeToElement(filter), cancellationToken) - tasks.Count;
                if (more > 0)
                {
                    Console.WriteLine(sort == "-id"
                        ? $"… {more.ToString("N0", CultureInfo.InvariantCulture)} more match: drover tasks --before {tasks[^1].Id}"
                        : $"… {more.ToString("N0", CultureInfo.InvariantCulture)} more match (--limit shows more)");
                }
            }
            await SayWhatNoWorkerRunsAsync(client, tasks, cancellationToken);
            return 0;
        });
        return command;
    }
}
