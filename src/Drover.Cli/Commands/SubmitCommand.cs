using System.CommandLine;
using System.Text.Json;
using Drover.Contracts;
using Drover.Json;
using Drover.Model;

namespace Drover.Cli.Commands;

/// <summary><c>drover submit</c>: one task from the command line, or one per line of a JSONL file.</summary>
internal static class SubmitCommand
{
    private static readonly Option<string?> Name = new("--name") { Description = "A label for the task" };
    private static readonly Option<string?> Batch = new("--batch") { Description = "The batch (default: default)" };
    private static readonly Option<string?> Group = new("--group") { Description = "Who the task belongs to" };
    private static readonly Option<bool> Shell = new("--shell") { Description = "Run the command text with sh -c" };
    private static readonly Option<int?> Retry = new("--retry") { Description = "Retries after a failure" };
    private static readonly Option<int?> Priority = new("--priority") { Description = "Higher runs first (default 0)" };
    private static readonly Option<string?> Timeout = new("--timeout") { Description = "Kill the run after this long, e.g. 30s, 5m" };
    private static readonly Option<string[]> Env = new("--env", "-e") { Description = "An environment variable K=V (repeatable)", AllowMultipleArgumentsPerToken = false };
    private static readonly Option<string?> Id = new("--id") { Description = "Choose the task's id (a UUID); submitting it again is a no-op" };
    private static readonly Option<string?> Handler = new("--handler") { Description = "Run a named handler (e.g. echo) instead of a command" };
    private static readonly Option<string?> Args = new("--args") { Description = "The handler's arguments, as JSON" };
    private static readonly Option<string[]> Requires = new("--requires") { Description = "A task that must succeed first (an id; repeatable)", AllowMultipleArgumentsPerToken = false };
    private static readonly Option<string?> RunAfter = new("--run-after") { Description = "Not before this time (ISO 8601, e.g. 2026-12-24T18:00:00Z): pending until then" };
    private static readonly Option<string?> In = new("--in") { Description = "Not before this long from now, e.g. 15m, 2h: pending until then" };
    private static readonly Option<bool> Wait = new("--wait") { Description = "Wait for the task and exit with its exit code" };
    private static readonly Option<string[]> Input = new("--input") { Description = "Fetch into the run's $INPUT first: a URI with actions, e.g. 's3://b/reads.fq.gz|gunzip' (repeatable)", AllowMultipleArgumentsPerToken = false };
    private static readonly Option<string[]> Resource = new("--resource") { Description = "Fetch once per worker and share read-only as $RESOURCE: e.g. 'https://h/db.tgz|untar' (repeatable)", AllowMultipleArgumentsPerToken = false };
    private static readonly Option<string?> Output = new("--output") { Description = "Upload what the run leaves in $OUTPUT under this URI prefix (s3://b/results/, file:///dir/)" };
    private static readonly Option<string?> OutputOn = new("--output-on") { Description = "Upload the output after a success (default) or always" };
    private static readonly Option<string?> Container = new("--container") { Description = "Run the command in this image (podman or docker on the worker)" };
    private static readonly Option<string?> ContainerOptions = new("--container-options") { Description = "Extra options for the container engine, e.g. '--cpus 2'" };
    private static readonly Option<bool> Cache = new("--cache") { Description = "Reuse the outputs of an earlier identical task that succeeded instead of running" };
    private static readonly Option<FileInfo?> File = new("--file", "-f") { Description = "Create one task per JSON line of this file, in one request" };
    private static readonly Argument<string[]> Command = new("command") { Description = "The command and its arguments (after --)", Arity = ArgumentArity.ZeroOrMore };

    /// <summary>How long <c>--wait</c>'s create waits before it prints the ids and waits on.</summary>
    private static readonly TimeSpan FirstWait = TimeSpan.FromSeconds(2);

    public static Command Create()
    {
        var command = new Command("submit", "Submit a task: drover submit [options] -- CMD ARGS...")
        {
            Name, Batch, Group, Shell, Retry, Priority, Timeout, RunAfter, In, Env, Id, Handler, Args, Requires,
            Input, Resource, Output, OutputOn, Container, ContainerOptions, Cache, Wait, File, Command,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            IReadOnlyList<TaskSpec> specs = parse.GetValue(File) is { } file ? ReadFile(file) : [FromOptions(parse)];
            using var client = CommonOptions.Client(parse);
            var wait = parse.GetValue(Wait);
            // With --wait, the create itself waits a moment: a short task's end comes back with the
            // create (one exchange, and nothing to miss on a server that keeps no history); longer
            // ones are then waited for as usual.
            var created = await client.CreateTasksAsync(specs, cancellationToken, wait: wait ? FirstWait : null);
            foreach (var task in created) Console.WriteLine(task.Id);
            if (!wait) return 0;

            var running = created.Where(t => !TaskStateRules.IsEnded(t.Status)).Select(t => t.Id).ToList();
            var ended = created.Where(t => TaskStateRules.IsEnded(t.Status)).ToList();
            if (running.Count > 0) ended.AddRange(await client.WaitAllAsync(running, cancellationToken));
            return ended.Select(ExitCodeOf).FirstOrDefault(code => code != 0);
        });
        return command;
    }

    /// <summary>The task's own exit code when it ran; 1 when it failed otherwise (timeout, could not start, canceled).</summary>
    public static int ExitCodeOf(TaskRecord task) => task.Status switch
    {
        TaskState.Succeeded => 0,
        _ when task.ExitCode is { } code and not 0 && !task.Reason.IsTimeout() => code,
        _ when task.Reason.IsTimeout() => 124,
        _ => 1,
    };

    private static bool IsTimeout(this string? reason) => reason?.StartsWith("timed out", StringComparison.Ordinal) == true;

    /// <summary>The options that describe a task (for <c>drover schedule add</c> too: each firing creates one).</summary>
    public static Option[] TaskOptions => [Name, Batch, Group, Shell, Retry, Priority, Timeout, Env, Handler, Args, Input, Resource, Output, OutputOn, Container, ContainerOptions, Cache];

    public static Argument<string[]> CommandWords => Command;

    public static TaskSpec FromOptions(ParseResult parse)
    {
        var words = parse.GetValue(Command) ?? [];
        var handler = parse.GetValue(Handler);
        if (words.Length == 0 && handler is null) throw new CliException("Give a command after --, a --handler, or a --file.");
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in parse.GetValue(Env) ?? [])
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0) throw new CliException($"--env: '{pair}' is not K=V");
            env[pair[..equals]] = pair[(equals + 1)..];
        }
        var shell = parse.GetValue(Shell);
        JsonElement? args = null;
        if (parse.GetValue(Args) is { } argsText)
        {
            try
            {
                args = JsonDocument.Parse(argsText).RootElement.Clone();
            }
            catch (JsonException ex)
            {
                throw new CliException($"--args: not valid JSON ({ex.Message})");
            }
        }
        return new TaskSpec
        {
            Id = parse.GetValue(Id),
            Name = parse.GetValue(Name),
            Batch = parse.GetValue(Batch),
            Group = parse.GetValue(Group),
            Command = words.Length == 0 ? null
                : shell ? JsonSerializer.SerializeToElement(string.Join(' ', words))
                : JsonSerializer.SerializeToElement(words),
            Shell = shell ? JsonSerializer.SerializeToElement(true) : null,
            Handler = handler,
            Args = args,
            Env = env.Count == 0 ? null : env,
            Retry = parse.GetValue(Retry),
            Priority = parse.GetValue(Priority),
            Timeout = parse.GetValue(Timeout) is { } timeout ? JsonSerializer.SerializeToElement(timeout) : null,
            RunAfter = parse.GetValue(RunAfter),
            In = parse.GetValue(In) is { } delay ? JsonSerializer.SerializeToElement(delay) : null,
            Requires = parse.GetValue(Requires) is { Length: > 0 } requires ? [.. requires] : null,
            Input = parse.GetValue(Input) is { Length: > 0 } input ? JsonSerializer.SerializeToElement(input) : null,
            Resource = parse.GetValue(Resource) is { Length: > 0 } resource ? JsonSerializer.SerializeToElement(resource) : null,
            Output = parse.GetValue(Output),
            OutputOn = parse.GetValue(OutputOn),
            Container = parse.GetValue(Container),
            ContainerOptions = parse.GetValue(ContainerOptions) is { } options ? JsonSerializer.SerializeToElement(options) : null,
            Cache = parse.GetValue(Cache) ? true : null,
        };
    }

    private static List<TaskSpec> ReadFile(FileInfo file)
    {
        if (!file.Exists) throw new CliException($"--file: {file.FullName} does not exist");
        var specs = new List<TaskSpec>();
        var number = 0;
        foreach (var line in System.IO.File.ReadLines(file.FullName))
        {
            number++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            try
            {
                specs.Add(JsonSerializer.Deserialize<TaskSpec>(line, DroverJson.Strict)
                    ?? throw new CliException($"{file.Name}:{number}: a task must be a JSON object"));
            }
            catch (JsonException ex)
            {
                throw new CliException($"{file.Name}:{number}: {ex.Message}");
            }
        }
        if (specs.Count == 0) throw new CliException($"--file: {file.Name} holds no tasks");
        return specs;
    }
}
