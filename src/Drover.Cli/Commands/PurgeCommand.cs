using System.CommandLine;
using System.Text.Json;

namespace Drover.Cli.Commands;

/// <summary><c>drover purge --filter F</c>: delete ended tasks' records.</summary>
internal static class PurgeCommand
{
    private static readonly Option<string> Filter = new("--filter")
    {
        Description = "Delete the ended tasks this filter selects ('{}' for every ended task)",
        Required = true,
    };

    public static Command Create()
    {
        var command = new Command("purge", "Delete the records of ended tasks, with their executions") { Filter };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var filter = JsonSerializer.SerializeToElement(QueryCommand.ParseJson(parse.GetValue(Filter)!, "--filter"));
            using var client = CommonOptions.Client(parse);
            var outcome = await client.PurgeAsync(filter, cancellationToken);
            Console.WriteLine($"Deleted {outcome.Deleted} task(s).");
            if (outcome.Refused.Count > 0)
            {
                Console.WriteLine($"Kept {outcome.Refused.Count} selected task(s) that have not ended:");
                foreach (var id in outcome.Refused.Take(20)) Console.WriteLine($"  {id}");
                if (outcome.Refused.Count > 20) Console.WriteLine($"  … and {outcome.Refused.Count - 20} more");
            }
            return 0;
        });
        return command;
    }
}
