using System.CommandLine;
using System.Globalization;

namespace Drover.Cli.Commands;

/// <summary><c>drover batches</c> and <c>drover batch pause|resume|cancel|delete NAME</c>.</summary>
internal static class BatchCommands
{
    private static readonly string[] States = ["pending", "queued", "assigned", "running", "paused", "succeeded", "failed", "canceled"];

    public static Command List()
    {
        var command = new Command("batches", "Batches: tasks per state, paused or not, workers serving them");
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var client = CommonOptions.Client(parse);
            // "PAUSED" is the batch's flag; its tasks paused by a signal are the "TASKS PAUSED" column.
            var table = new TextTable(["BATCH", "PAUSED", .. States.Select(s => s == "paused" ? "TASKS PAUSED" : s.ToUpperInvariant()), "TOTAL", "WORKERS"]);
            foreach (var batch in await client.ListBatchesAsync(cancellationToken))
            {
                table.Add([batch.Name, batch.Paused ? "yes" : "",
                    .. States.Select(s => batch.Counts.TryGetValue(s, out var n) ? n.ToString(CultureInfo.InvariantCulture) : ""),
                    batch.Total.ToString(CultureInfo.InvariantCulture), batch.Workers.Count.ToString(CultureInfo.InvariantCulture)]);
            }
            table.Write(Console.Out);
            return 0;
        });
        return command;
    }

    private static long Count(System.Text.Json.JsonElement answer, string name) =>
        answer.TryGetProperty(name, out var n) && n.TryGetInt64(out var count) ? count : 0;

    public static Command Batch()
    {
        var action = new Argument<string>("action") { Description = "pause, resume, cancel or delete" };
        var name = new Argument<string>("name") { Description = "The batch" };
        var command = new Command("batch", "Pause, resume, cancel or delete a batch") { action, name };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var verb = parse.GetValue(action)!;
            if (verb is not ("pause" or "resume" or "cancel" or "delete")) throw new CliException("the action must be pause, resume, cancel or delete");
            using var client = CommonOptions.Client(parse);
            var batch = parse.GetValue(name)!;
            var answer = verb == "delete"
                ? await client.DeleteBatchAsync(batch, cancellationToken)
                : await client.BatchAsync(batch, verb, cancellationToken);
            Console.WriteLine(verb switch
            {
                "pause" => $"batch {batch} paused: its queued tasks wait (running ones go on)",
                "resume" => $"batch {batch} resumed",
                "cancel" => $"batch {batch}: {Count(answer, "canceled")} task(s) canceled",
                _ => $"batch {batch} deleted: {Count(answer, "deleted")} task record(s), {Count(answer, "recruiters")} recruiter(s)",
            });
            return 0;
        });
        return command;
    }
}
