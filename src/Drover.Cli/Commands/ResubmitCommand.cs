using System.CommandLine;
using System.Text.Json;
using Drover.Validation;

namespace Drover.Cli.Commands;

/// <summary><c>drover resubmit</c>: run ended tasks again, as new tasks with the same definitions.</summary>
internal static class ResubmitCommand
{
    private static readonly Argument<string[]> TaskIds = new("ids") { Description = "Ids of ended tasks", Arity = ArgumentArity.ZeroOrMore };
    private static readonly Option<string?> Filter = new("--filter") { Description = "Resubmit the ended tasks this filter selects, e.g. '{\"status\": \"failed\"}'" };

    public static Command Create()
    {
        var command = new Command("resubmit", "Create new tasks with the definitions of ended ones") { TaskIds, Filter };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var texts = parse.GetValue(TaskIds) ?? [];
            var filter = parse.GetValue(Filter);
            if ((texts.Length > 0) == (filter is not null)) throw new CliException("name task ids or give --filter, not both");
            using var client = CommonOptions.Client(parse);
            var created = filter is not null
                ? await client.ResubmitAsync(JsonSerializer.SerializeToElement(QueryCommand.ParseJson(filter, "--filter")), cancellationToken)
                : await client.ResubmitAsync([.. texts.Select(ParseId)], cancellationToken);
            var table = new TextTable("ID", "RESUBMITTED FROM", "NAME");
            foreach (var task in created) table.Add(task.Id.ToString(), task.ResubmittedFrom?.ToString() ?? "", task.Name ?? "");
            table.Write(Console.Out);
            return 0;
        });
        return command;
    }

    private static Guid ParseId(string text) =>
        Ids.TryParse(text, out var id) ? id : throw new CliException($"'{text}' is not a task id");
}
