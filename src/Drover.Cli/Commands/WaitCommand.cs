using System.CommandLine;
using Drover.Json;
using Drover.Model;
using Drover.Validation;

namespace Drover.Cli.Commands;

/// <summary><c>drover wait ID...</c>: block until the tasks end; non-zero exit when any did not succeed.</summary>
internal static class WaitCommand
{
    private static readonly Argument<string[]> Ids_ = new("ids") { Description = "Task ids", Arity = ArgumentArity.OneOrMore };

    public static Command Create()
    {
        var command = new Command("wait", "Wait until tasks have ended") { Ids_ };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var ids = new List<Guid>();
            foreach (var text in parse.GetValue(Ids_)!)
            {
                if (!Ids.TryParse(text, out var id)) throw new CliException($"'{text}' is not a task id (a UUID)");
                ids.Add(id);
            }
            using var client = CommonOptions.Client(parse);
            var ended = await client.WaitAllAsync(ids, cancellationToken);
            foreach (var task in ended.OrderBy(t => ids.IndexOf(t.Id)))
                Console.WriteLine($"{task.Id} {Enums.Name(task.Status)}{(task.ExitCode is { } code ? $" (exit {code})" : "")}");
            return ended.All(t => t.Status == TaskState.Succeeded) ? 0 : 1;
        });
        return command;
    }
}
