using System.CommandLine;
using System.Globalization;
using Drover.Contracts;
using Drover.Json;

namespace Drover.Cli.Commands;

/// <summary><c>drover admin info|ping|sleep|loglevel|stop-workers|stop-all</c>: the admin calls under <c>/api/admin</c>.</summary>
internal static class AdminCommands
{
    public static Command Admin() => new("admin", "Admin calls: what runs where, ping the workers, a test task, log levels, stop")
    {
        Info(), Ping(), Sleep(), LogLevel(), StopWorkers(), StopAll(),
    };

    private static Option<string> TimeoutOption() => new("--timeout") { Description = "How long to wait for the workers' answers", DefaultValueFactory = _ => "5s" };

    private static TimeSpan TimeoutOf(ParseResult parse, Option<string> option) =>
        Durations.TryParse(parse.GetValue(option), out var timeout) ? timeout : throw new CliException($"--timeout: '{parse.GetValue(option)}' is not a duration such as 5s");

    private static Command Info()
    {
        var command = new Command("info", "This server, the workers by state and how busy each is, the data they hold, the tasks by state");
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var client = CommonOptions.Client(parse);
            var info = await client.AdminInfoAsync(cancellationToken);
            var s = info.Server;
            Console.WriteLine($"server:   drover {s.Version} on {s.Host} (pid {s.Pid}), store {s.Store}, log level {s.LogLevel}, up {Display.Duration(TimeSpan.FromSeconds(s.UptimeSeconds))}");
            Console.WriteLine($"workers:  {Counts(info.Workers)}");
            Console.WriteLine($"tasks:    {Counts(info.Tasks)}");
            Console.WriteLine($"datasets: {info.Datasets}, {info.Shards} shard(s), {info.Rows} rows, {Display.Bytes(info.Bytes)}");
            var table = new TextTable("WORKER", "NAME", "HOST", "STATE", "BUSY", "SHARDS");
            foreach (var w in info.Connected)
                table.Add(w.Id.ToString(), w.Name, w.Host ?? "", w.State, $"{w.Running}/{w.Concurrency}", w.Shards.ToString(CultureInfo.InvariantCulture));
            table.Write(Console.Out);
            return 0;
        });
        return command;
    }

    private static string Counts<T>(IReadOnlyDictionary<string, T> counts) =>
        counts.Count == 0 ? "none" : string.Join(", ", counts.Select(c => $"{c.Value} {c.Key}"));

    private static Command Ping()
    {
        var timeout = TimeoutOption();
        var command = new Command("ping", "Every connected worker answers a task of its own, with its round trip; exit 1 if one does not") { timeout };
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var client = CommonOptions.Client(parse);
            var answers = await client.PingAsync(TimeoutOf(parse, timeout), cancellationToken);
            return Write(answers, showLevel: false);
        });
        return command;
    }

    /// <summary>The workers' answers as a table; 1 when one of them did not answer.</summary>
    private static int Write(IReadOnlyList<WorkerAnswer> answers, bool showLevel)
    {
        var table = new TextTable("WORKER", "NAME", "HOST", showLevel ? "LEVEL" : "ROUND TRIP", "ERROR");
        foreach (var a in answers)
        {
            var answered = showLevel ? a.Level ?? "" : a.RoundTripMs is { } ms ? ms.ToString("0.0", CultureInfo.InvariantCulture) + " ms" : "";
            table.Add(a.Worker.ToString(), a.Name, a.Host ?? "", answered, a.Error ?? "");
        }
        table.Write(Console.Out);
        if (answers.Count == 0) Console.WriteLine("no worker is connected");
        return answers.Any(a => a.Error is not null) ? 1 : 0;
    }

    private static Command Sleep()
    {
        var seconds = new Argument<double>("seconds") { Description = "How long the test task sleeps" };
        var noWait = new Option<bool>("--no-wait") { Description = "Print the task's id and return at once" };
        var command = new Command("sleep", "A test task that sleeps N seconds on a random worker; waits for it unless --no-wait") { seconds, noWait };
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var client = CommonOptions.Client(parse);
            var started = await client.SleepAsync(parse.GetValue(seconds), cancellationToken);
            Console.WriteLine($"task {started.Task} sleeps on worker {started.Name} ({started.Worker})");
            if (parse.GetValue(noWait)) return 0;
            var task = (await client.WaitAllAsync([started.Task], cancellationToken))[0];
            Console.WriteLine($"{Enums.Name(task.Status)} after {Display.Duration((task.Completed ?? DateTimeOffset.UtcNow) - task.Submitted)}");
            return task.Status == Model.TaskState.Succeeded ? 0 : 1;
        });
        return command;
    }

    private static Command LogLevel()
    {
        var level = new Argument<string>("level") { Description = "trace, debug, information, warning, error, critical or none" };
        var timeout = TimeoutOption();
        var command = new Command("loglevel", "Set the log level of the server and of every connected worker, while they run; exit 1 if a worker did not change") { level, timeout };
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var client = CommonOptions.Client(parse);
            var changed = await client.SetLogLevelAsync(parse.GetValue(level)!, TimeoutOf(parse, timeout), cancellationToken);
            Console.WriteLine($"server: {changed.Level}");
            return Write(changed.Workers, showLevel: true);
        });
        return command;
    }

    private static Command StopWorkers()
    {
        var command = new Command("stop-workers", "Every connected worker drains (finishes what runs, takes nothing new) and exits");
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var client = CommonOptions.Client(parse);
            var workers = await client.StopWorkersAsync(cancellationToken);
            Console.WriteLine($"{workers.Count} worker(s) draining: {string.Join(", ", workers.Select(w => w.Name))}");
            return 0;
        });
        return command;
    }

    private static Command StopAll()
    {
        var command = new Command("stop-all", "Every connected worker drains and exits, and the server stops");
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var client = CommonOptions.Client(parse);
            var workers = await client.StopAllAsync(cancellationToken);
            Console.WriteLine($"{workers.Count} worker(s) draining; the server stops");
            return 0;
        });
        return command;
    }
}
