using System.CommandLine;
using Drover.Json;
using Drover.Validation;

namespace Drover.Cli.Commands;

/// <summary><c>drover cancel ID...</c>: cancel tasks that have not ended, and what requires them.</summary>
internal static class CancelCommand
{
    private static readonly Argument<string[]> TaskIds = new("ids") { Description = "Tasks to cancel", Arity = ArgumentArity.OneOrMore };

    public static Command Create()
    {
        var command = new Command("cancel", "Cancel tasks that have not ended, whatever their state") { TaskIds };
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var client = CommonOptions.Client(parse);
            foreach (var text in parse.GetValue(TaskIds)!)
            {
                if (!Ids.TryParse(text, out var id)) throw new CliException($"'{text}' is not a task id");
                var task = await client.CancelTaskAsync(id, cancellationToken);
                Console.WriteLine($"{task.Id} {Enums.Name(task.Status)}");
            }
            return 0;
        });
        return command;
    }
}
