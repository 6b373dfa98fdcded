using System.CommandLine;
using Drover.Json;
using Drover.Model;
using Drover.Validation;

namespace Drover.Cli.Commands;

/// <summary><c>drover wait ID...</c>: block until the tasks end; non-zero exit when any did not succeed.</summary>
internal static class WaitCommand
{
    private static readonly Argument<string[]> Ids_ = new("ids") { Description = "Task ids", Arity = ArgumentArity.OneOrMore };
    private static readonly Option<int> Retry = new("--retry") { Description = "Resubmit a task that fails, up to this many times, and wait for it again" };

    public static Command Create()
    {
        var command = new Command("wait", "Wait until tasks have ended") { Ids_, Retry };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var ids = new List<Guid>();
            foreach (var text in parse.GetValue(Ids_)!)
            {
                if (!Ids.TryParse(text, out var id)) throw new CliException($"'{text}' is not a task id (a UUID)");
                ids.Add(id);
            }
            using var client = CommonOptions.Client(parse);
            var ended = await client.WaitAllAsync(ids, cancellationToken, parse.GetValue(Retry));
            foreach (var task in ended)
            {
                // With --retry, a record may be a later attempt: it names the one it was resubmitted from.
                var from = task.ResubmittedFrom is { } origin ? $" (resubmitted from {origin})" : "";
                Console.WriteLine($"{task.Id} {Enums.Name(task.Status)}{(task.ExitCode is { } code ? $" (exit {code})" : "")}{from}");
            }
            return ended.All(t => t.Status == TaskState.Succeeded) ? 0 : 1;
        });
        return command;
    }
}
