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
            var table = new TextTable(["BATCH", "PAUSED", .. States.Select(s => s.ToUpperInvariant()), "TOTAL", "WORKERS"]);
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
            var answer = verb == "delete"
                ? await client.DeleteBatchAsync(parse.GetValue(name)!, cancellationToken)
                : await client.BatchAsync(parse.GetValue(name)!, verb, cancellationToken);
            Console.WriteLine(answer.ToString());
            return 0;
        });
        return command;
    }
}
