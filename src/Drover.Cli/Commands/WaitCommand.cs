using System.CommandLine;
using Drover.Json;
using Drover.Model;
using Drover.Validation;

namespace Drover.Cli.Commands;

/// <summary><c>drover wait ID...</c>: block until the tasks end (or <c>--timeout</c>: exit 4); exit 1 when any did not succeed.</summary>
internal static class WaitCommand
{
    private static readonly Argument<string[]> Ids_ = new("ids") { Description = "Task ids", Arity = ArgumentArity.OneOrMore };
    private static readonly Option<int> Retry = new("--retry") { Description = "Resubmit a task that fails, up to this many times, and wait for it again" };
    private static readonly Option<string?> Timeout = new("--timeout") { Description = "Give up after this long (30s, 2h): exit 4, naming the tasks still going (default: wait as long as it takes)" };

    public static Command Create()
    {
        var command = new Command("wait", "Wait until tasks have ended") { Ids_, Retry, Timeout };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var ids = new List<Guid>();
            foreach (var text in parse.GetValue(Ids_)!)
            {
                if (!Ids.TryParse(text, out var id)) throw new CliException($"'{text}' is not a task id (a UUID)");
                ids.Add(id);
            }
            TimeSpan? timeout = parse.GetValue(Timeout) is not { } limitText ? null
                : Durations.TryParse(limitText, out var parsed) && parsed > TimeSpan.Zero ? parsed
                : throw new CliException($"--timeout: '{limitText}' is not a duration such as 30s");
            using var client = CommonOptions.Client(parse);
            using var giveUp = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            if (timeout is { } limit) giveUp.CancelAfter(limit);
            IReadOnlyList<TaskRecord> ended;
            try
            {
                ended = await client.WaitAllAsync(ids, giveUp.Token, parse.GetValue(Retry));
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                var going = (await client.WaitAsync(ids, TimeSpan.Zero, CancellationToken.None)).Pending;
                Console.Error.WriteLine($"drover: {going.Count} of {ids.Count} task(s) had not ended after {parse.GetValue(Timeout)}: {string.Join(' ', going)}");
                return 4;
            }
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
