using System.CommandLine;
using Drover.Cli.Watch;
using Drover.Validation;

namespace Drover.Cli.Commands;

/// <summary><c>drover watch ID</c> tails a task's output; <c>drover watch [--batch B] [--group G]</c> shows live progress.</summary>
internal static class WatchCommand
{
    private static readonly Argument<string?> TaskId = new("id") { Description = "A task whose output to tail until it ends", Arity = ArgumentArity.ZeroOrOne };
    private static readonly Option<string[]> Batches = new("--batch") { Description = "Follow this batch (repeatable)", AllowMultipleArgumentsPerToken = false };
    private static readonly Option<string[]> Groups = new("--group") { Description = "Follow this group (repeatable)" };

    public static Command Create()
    {
        var command = new Command("watch", "Tail a task's output live, or watch batches and groups progress until they end") { TaskId, Batches, Groups };
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var client = CommonOptions.Client(parse);
            var batches = parse.GetValue(Batches) ?? [];
            var groups = parse.GetValue(Groups) ?? [];
            if (parse.GetValue(TaskId) is not { } text) return await BoardWatch.RunAsync(client, batches, groups, cancellationToken);
            if (batches.Length > 0 || groups.Length > 0) throw new CliException("watch: give a task id, or --batch/--group, not both");
            if (!Ids.TryParse(text, out var id)) throw new CliException($"'{text}' is not a task id (a UUID)");
            return await TaskTail.RunAsync(client, id, cancellationToken);
        });
        return command;
    }
}
