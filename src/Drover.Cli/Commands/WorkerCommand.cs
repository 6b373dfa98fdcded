using System.CommandLine;
using Drover.Json;
using Drover.Server.Auth;
using Drover.Worker;
using Microsoft.Extensions.Logging;

namespace Drover.Cli.Commands;

/// <summary><c>drover worker</c>: lease and run tasks from a server, until Ctrl-C or SIGTERM.</summary>
internal static class WorkerCommand
{
    public static readonly Option<int> Concurrency = new("--concurrency", "-c") { Description = "Tasks run at once", DefaultValueFactory = _ => Environment.ProcessorCount };
    public static readonly Option<string> Grace = new("--grace")
    {
        Description = "On SIGTERM or Ctrl-C, let running tasks finish for this long before handing them back",
        DefaultValueFactory = _ => "30s",
    };
    public static readonly Option<string> Prefetch = new("--prefetch")
    {
        Description = "Tasks leased beyond those running: auto (as many as it expects to start within 50 ms, from its recent run times) or a number (0: none)",
        DefaultValueFactory = _ => "auto",
    };
    public static readonly Option<string?> Batch = new("--batch") { Description = "Serve only this batch" };
    public static readonly Option<string?> Name = new("--name") { Description = "The worker's name" };
    public static readonly Option<string?> DataDir = new("--data-dir")
    {
        Description = "Serve the dataset shards under this directory (DIR/<dataset>/<shard>.parquet) to group-by queries",
    };
    public static readonly Option<string> ResourceCache = new("--resource-cache")
    {
        Description = "Size cap of the worker's cache of task resources (fetched once per worker); past it the least recently used go",
        DefaultValueFactory = _ => "20GB",
    };
    public static readonly Option<string?> ContainerEngine = new("--container-engine")
    {
        Description = "Run container tasks through this engine: podman, docker, auto (the first on PATH), or a path, with any global flags (\"podman --runtime runc\"). Without it the worker is leased no container tasks",
    };
    public static readonly Option<bool> Recyclable = new("--recyclable")
    {
        Description = "Let a recruiter move this worker to another batch while it is idle and its own batch has nothing waiting",
    };
    public static readonly Option<string> Channel = new("--channel")
    {
        Description = "on: hold one WebSocket with the server, tasks pushed as they become ready (HTTP while the server refuses it); off: lease and report over HTTP requests only",
        DefaultValueFactory = _ => "on",
    };
    public static readonly Option<int> OutputLimit = new("--output-limit") { Description = "Bytes of stdout and of stderr kept per task", DefaultValueFactory = _ => 1024 * 1024 };

    /// <summary>
    /// How <c>drover up</c> ties its workers to itself: it holds the other end of their stdin, which
    /// closes when it exits in any way (kill -9 too), and a worker stops then.
    /// </summary>
    public static readonly Option<bool> StopWithStdin = new("--stop-with-stdin")
    {
        Description = "Stop when standard input closes (as the workers of drover up do when it exits)",
        Hidden = true,
    };

    /// <summary><c>auto</c> (null) or a number of tasks, 0 or more.</summary>
    public static int? ParsePrefetch(string? text, string option) =>
        text is "auto" ? null
        : int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) ? n
        : throw new CliException($"{option} must be auto or a number of tasks, not '{text}'");

    public static Command Create()
    {
        var command = new Command("worker", "Run tasks from a Drover server") { Concurrency, Prefetch, Batch, Name, Recyclable, Channel, OutputLimit, Grace, DataDir, ResourceCache, ContainerEngine, StopWithStdin, ServerCommand.LogFormat };
        command.SetAction(async (parse, _) =>
        {
            using var shutdown = new Shutdown();
            if (parse.GetValue(StopWithStdin)) StopAtEndOfInput(shutdown);
            // Checked before anything is looked up: a mistyped option is said as such.
            var logFormat = ServerCommand.LogFormatOf(parse);
            var options = new WorkerOptions
            {
                Server = CommonOptions.ServerUrl(parse),
                Token = WorkerToken(parse),
                CaFile = CommonOptions.CaFile(parse),
                DroverCommand = [.. SelfCommand.Argv()],
                Name = parse.GetValue(Name),
                Concurrency = parse.GetValue(Concurrency),
                Prefetch = ParsePrefetch(parse.GetValue(Prefetch), "--prefetch"),
                Batch = parse.GetValue(Batch),
                Recyclable = parse.GetValue(Recyclable),
                Channel = CommonOptions.OnOff(parse, Channel),
                OutputLimitBytes = parse.GetValue(OutputLimit),
                DataDirectory = parse.GetValue(DataDir),
                ContainerEngine = parse.GetValue(ContainerEngine),
                ResourceCacheBytes = Text.ByteSizes.TryParse(parse.GetValue(ResourceCache), out var cap) ? cap
                    : throw new CliException($"--resource-cache: '{parse.GetValue(ResourceCache)}' is not a size such as 20GB or 512MB"),
                Grace = Durations.TryParse(parse.GetValue(Grace), out var grace) ? grace
                    : throw new CliException($"--grace: '{parse.GetValue(Grace)}' is not a duration such as 30s"),
            };
            // Tasks inherit it, so `drover status` from inside a task trusts the same private CA.
            if (options.CaFile is { } ca) Environment.SetEnvironmentVariable("DROVER_CA", Path.GetFullPath(ca));
            options.LogLevels = new Logging.LogLevelSwitch(LogLevel.Information);
            using var logging = LoggerFactory.Create(b => Server.Observability.Telemetry.AddDroverLogFormat(b, logFormat).SetMinimumLevel(LogLevel.Trace).AddFilter(options.LogLevels.Allows));
            WorkerAgent agent;
            try
            {
                agent = new WorkerAgent(options, logging.CreateLogger("Drover.Worker"));
            }
            catch (ArgumentException ex)
            {
                throw new CliException(ex.Message);
            }
            try
            {
                await agent.RunAsync(shutdown.Token);
            }
            catch (OperationCanceledException) when (shutdown.Token.IsCancellationRequested)
            {
                // Stopped before it could register: nothing was leased, nothing to hand back.
            }
            return 0;
        });
        return command;
    }

    /// <summary>Reads standard input to its end in the background (nothing is ever written to it), then stops the worker.</summary>
    private static void StopAtEndOfInput(Shutdown shutdown) => _ = Task.Run(async () =>
    {
        await using var input = Console.OpenStandardInput();
        var buffer = new byte[256];
        while (await input.ReadAsync(buffer) > 0)
        {
        }
        shutdown.Request();
    });

    /// <summary>The worker token, else the admin token (either may run the worker protocol).</summary>
    private static string WorkerToken(ParseResult parse)
    {
        try
        {
            return CommonOptions.FindToken(parse, TokenFiles.WorkerFileName);
        }
        catch (CliException)
        {
            return CommonOptions.FindToken(parse);
        }
    }
}
