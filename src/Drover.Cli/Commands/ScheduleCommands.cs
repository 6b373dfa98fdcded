using System.CommandLine;
using System.Text.Json;
using Drover.Contracts;
using Drover.Json;
using Drover.Model;

namespace Drover.Cli.Commands;

/// <summary><c>drover schedule add|list|rm|run|pause|resume</c>: cron schedules that create a task at each firing.</summary>
internal static class ScheduleCommands
{
    public static Command Schedule() => new("schedule", "Cron schedules: each firing creates a task (seconds and time zones with their DST rules)")
    {
        Add(), List(), Remove(), Run(), Toggle("pause", "Stop firing"), Toggle("resume", "Fire again (missed firings follow --catch-up)"),
    };

    private static Argument<string> NameArgument() => new("name") { Description = "The schedule's name" };

    private static Command Add()
    {
        var name = NameArgument();
        var cron = new Option<string>("--cron") { Description = "When: 5 fields (minute hour day month weekday) or 6 (seconds first), e.g. '0 2 * * *'", Required = true };
        var timezone = new Option<string?>("--timezone") { Description = "An IANA time zone such as Europe/Paris (default: UTC)" };
        var overlap = new Option<string?>("--overlap") { Description = "When the last firing's task still runs: skip (default), allow, or cancel-previous" };
        var catchUp = new Option<string?>("--catch-up") { Description = "Firings missed while no server ran: once (default: the latest runs at start) or skip" };
        var command = new Command("add", "Add a schedule: drover schedule add NAME --cron '0 2 * * *' [task options] -- CMD ARGS...")
        {
            name, cron, timezone, overlap, catchUp,
        };
        foreach (var option in SubmitCommand.TaskOptions) command.Options.Add(option);
        command.Arguments.Add(SubmitCommand.CommandWords);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var task = SubmitCommand.FromOptions(parse);
            using var client = CommonOptions.Client(parse);
            var created = await client.CreateScheduleAsync(new ScheduleSpec
            {
                Name = parse.GetValue(name), Cron = parse.GetValue(cron), Timezone = parse.GetValue(timezone), Overlap = parse.GetValue(overlap),
                CatchUp = parse.GetValue(catchUp), Task = JsonSerializer.SerializeToElement(task, DroverJson.Options),
            }, cancellationToken);
            Console.WriteLine($"schedule {created.Name} added: {created.Cron} ({created.Timezone}), next at {Next(created)}");
            return 0;
        });
        return command;
    }

    private static Command List()
    {
        var command = new Command("list", "Every schedule: cron, time zone, next and last firing, the last task");
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var client = CommonOptions.Client(parse);
            var table = new TextTable("NAME", "CRON", "TIMEZONE", "OVERLAP", "NEXT", "LAST", "LAST TASK", "SKIPPED", "RUNS");
            foreach (var s in await client.ListSchedulesAsync(cancellationToken))
            {
                table.Add(s.Name, s.Cron, s.Timezone, s.Overlap, Next(s), s.LastFire is { } last ? Display.Time(last) : "",
                    s.LastTask?.ToString() ?? "", s.Skipped.ToString(System.Globalization.CultureInfo.InvariantCulture), Display.Truncate(What(s.Task), 50));
            }
            table.Write(Console.Out);
            return 0;
        });
        return command;
    }

    private static Command Remove()
    {
        var name = NameArgument();
        var command = new Command("rm", "Delete a schedule (the tasks it made stay)") { name };
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var client = CommonOptions.Client(parse);
            await client.DeleteScheduleAsync(parse.GetValue(name)!, cancellationToken);
            Console.WriteLine($"schedule {parse.GetValue(name)} deleted");
            return 0;
        });
        return command;
    }

    private static Command Run()
    {
        var name = NameArgument();
        var command = new Command("run", "Create the schedule's task now, apart from its firings; prints its id") { name };
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var client = CommonOptions.Client(parse);
            Console.WriteLine((await client.RunScheduleAsync(parse.GetValue(name)!, cancellationToken)).Id);
            return 0;
        });
        return command;
    }

    private static Command Toggle(string action, string description)
    {
        var name = NameArgument();
        var command = new Command(action, description) { name };
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var client = CommonOptions.Client(parse);
            var schedule = await client.ScheduleActionAsync(parse.GetValue(name)!, action, cancellationToken);
            Console.WriteLine(schedule.Paused ? $"schedule {schedule.Name} paused" : $"schedule {schedule.Name} resumed, next at {Next(schedule)}");
            return 0;
        });
        return command;
    }

    private static string Next(ScheduleRecord schedule) => schedule.Paused ? "paused" : schedule.NextFire is { } next ? Display.Time(next) : "never";

    /// <summary>What a schedule's task runs, in one line.</summary>
    private static string What(JsonElement task)
    {
        var spec = task.Deserialize<TaskSpec>(DroverJson.Options)!;
        if (spec.Handler is { } handler) return $"handler {handler}";
        return spec.Command is { ValueKind: JsonValueKind.String } text ? text.GetString()!
            : spec.Command is { ValueKind: JsonValueKind.Array } words ? string.Join(' ', words.EnumerateArray().Select(w => w.GetString())) : "";
    }
}
