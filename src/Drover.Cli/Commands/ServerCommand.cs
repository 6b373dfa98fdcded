using System.CommandLine;
using Drover.Json;
using Drover.Server.Hosting;

namespace Drover.Cli.Commands;

/// <summary><c>drover server</c>: the server alone, until Ctrl-C or SIGTERM.</summary>
internal static class ServerCommand
{
    public static readonly Option<int> Port = new("--port") { Description = "Port to listen on; 0 picks a free one", DefaultValueFactory = _ => 5000 };
    public static readonly Option<string> Host = new("--host") { Description = "Address to listen on (0.0.0.0 for other machines)", DefaultValueFactory = _ => "127.0.0.1" };
    public static readonly Option<string> Store = new("--store") { Description = "Task database: sqlite, postgres (several servers may share it), memory, or none (ended tasks are forgotten)", DefaultValueFactory = _ => "sqlite" };
    public static readonly Option<string> LeaseTimeout = new("--lease-timeout") { Description = "How long a lease lives without a heartbeat", DefaultValueFactory = _ => "30s" };
    public static readonly Option<int> OutputLimit = new("--output-limit") { Description = "Bytes of stdout and of stderr kept per task (the tail)", DefaultValueFactory = _ => 1024 * 1024 };
    public static readonly Option<string?> Postgres = new("--postgres")
    {
        Description = "PostgreSQL connection string for --store postgres (default: $DROVER_POSTGRES)",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("DROVER_POSTGRES"),
    };
    public static readonly Option<string?> KeepFinished = new("--keep-finished") { Description = "Purge tasks that ended longer ago than this, e.g. 30d (default: keep all)" };
    public static readonly Option<string> KeepWorkers = new("--keep-workers") { Description = "Purge stopped and lost workers last seen longer ago than this", DefaultValueFactory = _ => "7d" };
    public static readonly Option<string?> Providers = new("--providers") { Description = "A JSON file of command providers (ssh pools, sbatch, cloud CLIs) and their flavors, for recruiters" };
    public static readonly Option<int> MaxLocalWorkers = new("--max-local-workers")
    {
        Description = "The most workers recruiters may start on this machine (the local provider)",
        DefaultValueFactory = _ => Environment.ProcessorCount,
    };
    public static readonly Option<string> IdleTimeout = new("--idle-timeout") { Description = "Give back a recruited worker idle this long while its batch has nothing waiting", DefaultValueFactory = _ => "5m" };
    public static readonly Option<string> FirstTaskTimeout = new("--first-task-timeout") { Description = "The same, for a recruited worker that never had a task", DefaultValueFactory = _ => "10m" };
    public static readonly Option<string> DeployTimeout = new("--deploy-timeout") { Description = "A recruited worker not registered after this long counts as a failed deploy", DefaultValueFactory = _ => "2m" };
    public static readonly Option<string> RecruitInterval = new("--recruit-interval") { Description = "How often recruiters look when nothing is submitted", DefaultValueFactory = _ => "2s" };
    public static readonly Option<string?> PublicUrl = new("--public-url") { Description = "The URL recruited workers on other machines reach this server at (default: the one it listens on)" };
    public static readonly Option<string> WorkerChannel = new("--worker-channel")
    {
        Description = "on: workers hold one WebSocket each, tasks pushed to them; off: they lease and report over HTTP requests (for proxies that break WebSockets)",
        DefaultValueFactory = _ => "on",
    };
    public static readonly Option<string?> TlsCert = new("--tls-cert") { Description = "Serve HTTPS with this certificate (PEM), with --tls-key" };
    public static readonly Option<string?> TlsKey = new("--tls-key") { Description = "The private key (PEM) of --tls-cert" };
    public static readonly Option<bool> Insecure = new("--insecure") { Description = "Allow a --host other than loopback without TLS (behind a TLS proxy, or a trusted network)" };
    public static readonly Option<string?> PublicDocs = new("--public-docs") { Description = "on: the OpenAPI document and /swagger need no token; off: they do (default: on for a loopback --host only)" };

    public static readonly Option<int> RateLimit = new("--rate-limit") { Description = "Requests a second per token, bursts of twice that (0: no limit; the worker protocol is not limited)", DefaultValueFactory = _ => 1000 };
    public static readonly Option<int> AuthFailureLimit = new("--auth-failure-limit") { Description = "Failed authentications a minute from one address before it waits out the minute (0: no limit)", DefaultValueFactory = _ => 30 };

    /// <summary>The options of TLS, exposure and limits, shared by <c>server</c> and <c>up</c>.</summary>
    public static Option[] SecurityOptions => [TlsCert, TlsKey, Insecure, PublicDocs, RateLimit, AuthFailureLimit];

    public static readonly Option<bool> PublicMetrics = new("--public-metrics") { Description = "Serve /metrics (Prometheus) without a token; by default it takes the admin token" };
    public static readonly Option<string?> Otlp = new("--otlp") { Description = "Also send metrics and traces to this OpenTelemetry collector, e.g. http://127.0.0.1:4317" };
    public static readonly Option<string> LogFormat = new("--log-format") { Description = "simple (a line each) or json (an object each, with the task and worker ids as scopes)", DefaultValueFactory = _ => "simple" };
    public static Option[] ObservabilityOptions => [PublicMetrics, Otlp, LogFormat];

    /// <summary>--log-format, checked (server, up and worker take it).</summary>
    public static string LogFormatOf(ParseResult parse) => parse.GetValue(LogFormat) is "simple" or "json"
        ? parse.GetValue(LogFormat)!
        : throw new CliException($"--log-format must be simple or json, not '{parse.GetValue(LogFormat)}'");

    public static readonly Option<bool> NoSync = new("--no-sync") { Description = "Commits survive a crash of Drover but not of the machine (faster)" };

    public static Command Create()
    {
        var command = new Command("server", "Run the Drover server alone") { Port, Host, Store, Postgres, LeaseTimeout, OutputLimit, KeepFinished, KeepWorkers, NoSync, WorkerChannel };
        foreach (var option in RecruitmentOptions.Concat(SecurityOptions).Concat(ObservabilityOptions)) command.Options.Add(option);
        command.SetAction(async (parse, _) =>
        {
            using var shutdown = new Shutdown();
            await using var server = await StartAsync(parse, shutdown.Token);
            if (server is null) return 0;
            PrintStarted(server);
            await WaitAsync(server, shutdown.Token);
            await server.StopAsync(CancellationToken.None);
            return 0;
        });
        return command;
    }

    /// <summary>The options of recruiters and their providers, shared by <c>server</c> and <c>up</c>.</summary>
    public static Option[] RecruitmentOptions => [Providers, MaxLocalWorkers, IdleTimeout, FirstTaskTimeout, DeployTimeout, RecruitInterval, PublicUrl];

    /// <summary>A duration option's value, null when it is not given; one line naming the option when it is not a duration.</summary>
    private static TimeSpan? Duration(ParseResult parse, Option option) =>
        parse.GetValue<string?>(option.Name) is not { } text ? null
        : Durations.TryParse(text, out var value) ? value
        : throw new CliException($"{option.Name}: '{text}' is not a duration such as 30s");

    public static DroverServerOptions Options(ParseResult parse)
    {
        return new DroverServerOptions
        {
            KeepFinished = Duration(parse, KeepFinished),
            KeepWorkers = Duration(parse, KeepWorkers)!.Value,
            Postgres = parse.GetValue(Postgres),
            Port = parse.GetValue(Port),
            Host = parse.GetValue(Host)!,
            Store = parse.GetValue(Store)!,
            DataDirectory = parse.GetValue(CommonOptions.Data)!,
            SyncToDisk = !parse.GetValue(NoSync),
            TlsCertificate = parse.GetValue(TlsCert),
            TlsKey = parse.GetValue(TlsKey),
            CaFile = CommonOptions.CaFile(parse),
            Insecure = parse.GetValue(Insecure),
            RateLimit = parse.GetValue(RateLimit),
            AuthFailureLimit = parse.GetValue(AuthFailureLimit),
            PublicMetrics = parse.GetValue(PublicMetrics),
            OtlpEndpoint = parse.GetValue(Otlp) is { } otlp
                ? Uri.TryCreate(otlp, UriKind.Absolute, out var collector) && collector.Scheme is "http" or "https" ? collector : throw new CliException($"--otlp: '{otlp}' is not an http(s) URL")
                : null,
            LogFormat = LogFormatOf(parse),
            PublicDocs = parse.GetValue(PublicDocs) switch
            {
                null => null,
                "on" => true,
                "off" => false,
                var text => throw new CliException($"--public-docs must be on or off, not '{text}'"),
            },
            WorkerChannel = CommonOptions.OnOff(parse, WorkerChannel),
            StoreOptions = { LeaseTimeout = Duration(parse, LeaseTimeout)!.Value, OutputLimitBytes = parse.GetValue(OutputLimit) },
            // Recruiters' local provider starts this same program as "drover worker".
            WorkerCommand = [.. SelfCommand.Argv()],
            MaxLocalWorkers = parse.GetValue(MaxLocalWorkers),
            ProvidersFile = parse.GetValue(Providers),
            IdleTimeout = Duration(parse, IdleTimeout)!.Value,
            FirstTaskTimeout = Duration(parse, FirstTaskTimeout)!.Value,
            DeployTimeout = Duration(parse, DeployTimeout)!.Value,
            RecruitInterval = Duration(parse, RecruitInterval)!.Value,
            PublicUrl = parse.GetValue(PublicUrl) is { } url
                ? Uri.TryCreate(url.TrimEnd('/') + "/", UriKind.Absolute, out var publicUrl) ? publicUrl : throw new CliException($"--public-url: '{url}' is not a URL")
                : null,
        };
    }

    /// <returns>The started server, or null when a stop was asked for before it could start.</returns>
    public static async Task<DroverServer?> StartAsync(ParseResult parse, CancellationToken stopping)
    {
        DroverServer server;
        try
        {
            server = DroverServer.Create(Options(parse));
        }
        catch (Exception ex) when (ex is ArgumentException or DataDirectoryInUseException)
        {
            throw new CliException(ex.Message);
        }
        try
        {
            await server.StartAsync(stopping);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            await server.DisposeAsync();
            return null;
        }
        catch (IOException ex)
        {
            await server.DisposeAsync();
            throw new CliException($"Cannot listen on {parse.GetValue(Host)}:{parse.GetValue(Port)}: {ex.Message} (choose another --port, or --port 0)");
        }
        catch (System.Data.Common.DbException ex)
        {
            await server.DisposeAsync();
            throw new CliException($"Cannot open the task database ({server.Options.Store}): {ex.Message}");
        }
        return server;
    }

    public static void PrintStarted(DroverServer server)
    {
        Console.WriteLine($"Drover server listening on {server.Url}");
        Console.WriteLine($"  store:        {server.Options.Store}{server.Options.Store switch
        {
            "sqlite" => $" ({Path.GetFullPath(Path.Combine(server.Options.DataDirectory, "drover.db"))})",
            "postgres" => $" ({PostgresTarget(server.Options.Postgres!)})",
            _ => "",
        }}");
        Console.WriteLine($"  admin token:  {server.Tokens.AdminTokenPath}");
        Console.WriteLine($"  worker token: {server.Tokens.WorkerTokenPath}");
    }

    /// <summary>Where a connection string points, without its password.</summary>
    private static string PostgresTarget(string connectionString)
    {
        var parts = connectionString.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(p => p.StartsWith("Host=", StringComparison.OrdinalIgnoreCase) || p.StartsWith("Port=", StringComparison.OrdinalIgnoreCase)
                || p.StartsWith("Database=", StringComparison.OrdinalIgnoreCase));
        return string.Join(';', parts);
    }

    /// <summary>Until a signal stops the process or the server stops itself (<c>drover admin stop-all</c>).</summary>
    public static async Task WaitAsync(DroverServer server, CancellationToken stopping)
    {
        using var either = CancellationTokenSource.CreateLinkedTokenSource(stopping, server.Stopping);
        try
        {
            await Task.Delay(Timeout.Infinite, either.Token);
        }
        catch (OperationCanceledException)
        {
        }
    }
}
