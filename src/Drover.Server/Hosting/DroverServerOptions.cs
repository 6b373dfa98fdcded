using Drover.Storage;

namespace Drover.Server.Hosting;

/// <summary>Everything <c>drover server</c> can be told. Validated at start-up; a bad value names its option.</summary>
public sealed class DroverServerOptions
{
    /// <summary>Directory for the SQLite database and the token files. Default <c>./drover-data</c>.</summary>
    public string DataDirectory { get; set; } = "drover-data";

    /// <summary>
    /// Which task database: <c>sqlite</c> (default), <c>postgres</c> (several servers may share it),
    /// <c>memory</c>, or <c>none</c> (ended tasks are forgotten).
    /// </summary>
    public string Store { get; set; } = "sqlite";

    /// <summary>The PostgreSQL connection string, for <c>--store postgres</c>.</summary>
    public string? Postgres { get; set; }

    /// <summary>Address to listen on. Default 127.0.0.1; use 0.0.0.0 to let workers on other machines in.</summary>
    public string Host { get; set; } = "127.0.0.1";

    /// <summary>The server's certificate (PEM) for HTTPS, with <see cref="TlsKey"/>; null: plain HTTP.</summary>
    public string? TlsCertificate { get; set; }

    /// <summary>The private key (PEM) of <see cref="TlsCertificate"/>.</summary>
    public string? TlsKey { get; set; }

    /// <summary>The private certificate authority (PEM) the local workers it starts are told to trust.</summary>
    public string? CaFile { get; set; }

    /// <summary>Listen on an address other than loopback without TLS (tokens then cross the network in clear text).</summary>
    public bool Insecure { get; set; }

    /// <summary>Whether the OpenAPI document and <c>/swagger</c> need no token; null: only when listening on loopback.</summary>
    public bool? PublicDocs { get; set; }

    public bool UsesTls => TlsCertificate is not null;

    /// <summary>Whether <see cref="Host"/> is this machine only (127.0.0.0/8, ::1, localhost).</summary>
    public bool ListensOnLoopback =>
        Host.Equals("localhost", StringComparison.OrdinalIgnoreCase)
        || (System.Net.IPAddress.TryParse(Host.Trim('[', ']'), out var address) && System.Net.IPAddress.IsLoopback(address));

    public bool DocsArePublic => PublicDocs ?? ListensOnLoopback;

    /// <summary>Requests a second per token (bursts of twice that); 0: no limit. The worker protocol is not limited. Default 1000.</summary>
    public int RateLimit { get; set; } = 1000;

    /// <summary><c>--public-metrics</c>: <c>/metrics</c> answers without a token (for a Prometheus on a trusted network); otherwise the admin token.</summary>
    public bool PublicMetrics { get; set; }

    /// <summary><c>--otlp URL</c>: metrics and traces also go to this OpenTelemetry collector (OTLP over gRPC or HTTP/protobuf).</summary>
    public Uri? OtlpEndpoint { get; set; }

    /// <summary><c>--log-format</c>: <c>simple</c> (one line each) or <c>json</c> (one JSON object each, with scopes).</summary>
    public string LogFormat { get; set; } = "simple";

    /// <summary>Failed authentications a minute from one address before it must wait out the minute; 0: no limit. Default 30.</summary>
    public int AuthFailureLimit { get; set; } = 30;

    /// <summary>Port to listen on; 0 picks a free one. Default 5000.</summary>
    public int Port { get; set; } = 5000;

    /// <summary>The largest request body accepted. Default 16 MiB.</summary>
    public long MaxRequestBodyBytes { get; set; } = 16 * 1024 * 1024;

    /// <summary>The longest a lease or wait request may long-poll. Default 60 s.</summary>
    public TimeSpan MaxLongPoll { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Whether workers may hold a channel (<c>GET /api/workers/{id}/channel</c>, a WebSocket) instead
    /// of lease and report requests. Default true; off, they use HTTP (for proxies that break WebSockets).
    /// </summary>
    public bool WorkerChannel { get; set; } = true;

    /// <summary>False keeps SQLite commits durable against a crash of the process but not of the machine. Default true.</summary>
    public bool SyncToDisk { get; set; } = true;

    /// <summary>Ended tasks older than this are purged in the background; null (the default) keeps them all.</summary>
    public TimeSpan? KeepFinished { get; set; }

    /// <summary>Stopped and lost workers last seen longer ago than this are purged in the background. Default 7 days.</summary>
    public TimeSpan KeepWorkers { get; set; } = TimeSpan.FromDays(7);

    public StoreOptions StoreOptions { get; set; } = new();

    /// <summary>How to start <c>drover worker</c> on this machine (the program and its first arguments), for the <c>local</c> provider; null: no local provider.</summary>
    public IReadOnlyList<string>? WorkerCommand { get; set; }

    /// <summary>The most workers the <c>local</c> provider runs at once. Default: the machine's cpus.</summary>
    public int MaxLocalWorkers { get; set; } = Environment.ProcessorCount;

    /// <summary>The providers file (command providers and their flavors), if any.</summary>
    public string? ProvidersFile { get; set; }

    /// <summary>The address workers a provider starts use to reach this server; default the one it listens on.</summary>
    public Uri? PublicUrl { get; set; }

    /// <summary>A provider's worker idle this long while its batch has nothing waiting is given back. Default 5 min.</summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>As <see cref="IdleTimeout"/>, for a worker that never had a task. Default 10 min.</summary>
    public TimeSpan FirstTaskTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>A deployed worker that has not registered after this long counts as failed. Default 2 min.</summary>
    public TimeSpan DeployTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>How often recruiters look when nothing is submitted. Default 2 s.</summary>
    public TimeSpan RecruitInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// After a failed deploy a recruiter waits up to this long (jittered, from half of it), the bound
    /// doubling with each failure in a row up to 5 min. Default 5 s.
    /// </summary>
    public TimeSpan DeployBackoff { get; set; } = TimeSpan.FromSeconds(5);

    public void Validate()
    {
        if (Store is not ("sqlite" or "postgres" or "memory" or "none"))
            throw new ArgumentException($"--store must be sqlite, postgres, memory or none, not '{Store}'.");
        if (Store == "postgres" && string.IsNullOrWhiteSpace(Postgres))
            throw new ArgumentException("--store postgres needs a connection string: --postgres \"Host=...;Username=...;Database=...\" or DROVER_POSTGRES.");
        if (Port is < 0 or > 65535)
            throw new ArgumentException($"--port must be between 0 and 65535, not {Port}.");
        if (KeepFinished is { } keep && keep <= TimeSpan.Zero)
            throw new ArgumentException("--keep-finished must be longer than zero.");
        if (KeepWorkers <= TimeSpan.Zero) throw new ArgumentException("--keep-workers must be longer than zero.");
        if (MaxRequestBodyBytes < 1024)
            throw new ArgumentException("MaxRequestBodyBytes must be at least 1 KiB.");
        if (MaxLocalWorkers < 0) throw new ArgumentException($"--max-local-workers must not be negative, not {MaxLocalWorkers}.");
        foreach (var (name, value) in new[] { ("--idle-timeout", IdleTimeout), ("--first-task-timeout", FirstTaskTimeout), ("--deploy-timeout", DeployTimeout), ("--recruit-interval", RecruitInterval) })
        {
            if (value <= TimeSpan.Zero) throw new ArgumentException($"{name} must be longer than zero.");
        }
        if (PublicUrl is { } url && !(url.IsAbsoluteUri && url.Scheme is "http" or "https"))
            throw new ArgumentException($"--public-url must be an http(s) URL, not '{url}'.");
        if (RateLimit < 0) throw new ArgumentException($"--rate-limit must not be negative (0 turns it off), not {RateLimit}.");
        if (AuthFailureLimit < 0) throw new ArgumentException($"--auth-failure-limit must not be negative (0 turns it off), not {AuthFailureLimit}.");
        if ((TlsCertificate is null) != (TlsKey is null))
            throw new ArgumentException("--tls-cert and --tls-key go together: the certificate and its private key, both PEM files.");
        foreach (var (name, path) in new[] { ("--tls-cert", TlsCertificate), ("--tls-key", TlsKey), ("--ca", CaFile) })
        {
            if (path is not null && !File.Exists(path)) throw new ArgumentException($"{name}: {path} does not exist.");
        }
        if (!ListensOnLoopback && !UsesTls && !Insecure)
        {
            throw new ArgumentException(
                $"Refusing to listen on {Host} without TLS: every token would cross the network in clear text. " +
                "Give --tls-cert and --tls-key (PEM), or --insecure if a TLS proxy in front does that (or the network is trusted).");
        }
        StoreOptions.Validate();
    }
}
