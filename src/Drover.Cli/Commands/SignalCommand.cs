using System.CommandLine;
using Drover.Json;
using Drover.Model;
using Drover.Validation;

namespace Drover.Cli.Commands;

/// <summary><c>drover signal ID pause|resume|term|kill</c>.</summary>
internal static class SignalCommand
{
    private static readonly Argument<string> TaskId = new("id") { Description = "The task" };
    private static readonly Argument<string> Signal = new("signal") { Description = "pause, resume, term or kill" };

    public static Command Create()
    {
        var command = new Command("signal", "Pause, resume, terminate or kill a running task's processes") { TaskId, Signal };
        command.SetAction(async (parse, cancellationToken) =>
        {
            if (!Ids.TryParse(parse.GetValue(TaskId), out var id)) throw new CliException($"'{parse.GetValue(TaskId)}' is not a task id");
            if (!Enums.TryParse<TaskSignal>(parse.GetValue(Signal), out var signal))
                throw new CliException($"the signal must be one of {string.Join(", ", Enums.AllNames<TaskSignal>())}");
            using var client = CommonOptions.Client(parse);
            var task = await client.SignalTaskAsync(id, signal, cancellationToken);
            Console.WriteLine($"{task.Id} {Enums.Name(task.Status)}");
            return 0;
        });
        return command;
    }
}
