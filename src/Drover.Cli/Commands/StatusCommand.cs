using System.CommandLine;
using System.Globalization;
using Drover.Client;
using Drover.Contracts;
using Drover.Validation;

namespace Drover.Cli.Commands;

/// <summary>
/// <c>drover status "Aligning sample 3" --progress 0.4</c>, run inside a task: sets the task's status
/// message and progress, with the task's own token (DROVER_URL, DROVER_TASK_ID, DROVER_TASK_TOKEN).
/// </summary>
internal static class StatusCommand
{
    private static readonly Argument<string?> Message = new("message") { Description = "What the task is doing now", Arity = ArgumentArity.ZeroOrOne };
    private static readonly Option<double?> Progress = new("--progress") { Description = "How far along, from 0 to 1" };
    private static readonly Option<string?> TaskId = new("--task") { Description = "The task (default: $DROVER_TASK_ID)" };

    public static Command Create()
    {
        var command = new Command("status", "Inside a task: set its status message and progress") { Message, Progress, TaskId };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var taskText = parse.GetValue(TaskId) ?? Environment.GetEnvironmentVariable("DROVER_TASK_ID");
            if (!Ids.TryParse(taskText, out var taskId)) throw new CliException("no task: run inside a task (DROVER_TASK_ID) or give --task ID");
            var token = parse.GetValue(CommonOptions.Token) ?? Environment.GetEnvironmentVariable("DROVER_TASK_TOKEN")
                ?? throw new CliException("no token: run inside a task (DROVER_TASK_TOKEN) or give --token");
            using var client = new DroverClient(CommonOptions.ServerUrl(parse), token, CommonOptions.ClientOptions(parse));
            // Silent on success: it runs inside tasks, whose stdout is their output.
            await client.SetStatusAsync(taskId, new StatusUpdate { Message = parse.GetValue(Message), Progress = parse.GetValue(Progress) }, cancellationToken);
            return 0;
        });
        return command;
    }
}
