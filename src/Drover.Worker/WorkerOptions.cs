using Drover.Worker.Handlers;

namespace Drover.Worker;

/// <summary>How a worker connects and how much it runs. Validated when the worker starts.</summary>
public sealed class WorkerOptions
{
    /// <summary>The server's URL, e.g. http://127.0.0.1:5000/. Required.</summary>
    public Uri? Server { get; set; }

    /// <summary>The worker token (or the admin token). Required.</summary>
    public string? Token { get; set; }

    /// <summary>A PEM file of the private certificate authority of an <c>https://</c> server's certificate (<c>--ca</c>).</summary>
    public string? CaFile { get; set; }

    /// <summary>A name shown in <c>drover workers</c>. Default: host name and process id.</summary>
    public string? Name { get; set; }

    /// <summary>Tasks run at once. Default 1.</summary>
    public int Concurrency { get; set; } = 1;

    /// <summary>
    /// Tasks leased beyond those running, ready to start at once; null (the default) sizes it from
    /// recent run times (<c>--prefetch auto</c>, <see cref="Dispatch.AdaptivePrefetch"/>).
    /// </summary>
    public int? Prefetch { get; set; }

    /// <summary>Serve only this batch; null serves every batch.</summary>
    public string? Batch { get; set; }

    /// <summary>A recruiter may move this worker to another batch while it is idle and its batch has nothing waiting.</summary>
    public bool Recyclable { get; set; }

    /// <summary>Where each execution gets its own working directory. Default: a directory under the system temp.</summary>
    public string WorkDirectory { get; set; } = Path.Combine(Path.GetTempPath(), "drover-work");

    /// <summary>
    /// How to run this drover program (the program and its first arguments, e.g. <c>dotnet
    /// /opt/drover/drover.dll</c>): every command task finds it on its PATH as <c>drover</c>, for
    /// <c>drover status</c>, however Drover was installed. Null: nothing is added to the PATH.
    /// </summary>
    public IReadOnlyList<string>? DroverCommand { get; set; }

    /// <summary>
    /// Where the worker caches resources (data every task of a kind reads, fetched once per worker).
    /// Default: <c>resource-cache-&lt;pid&gt;</c> under <see cref="WorkDirectory"/>, emptied when the worker starts and stops.
    /// </summary>
    public string? ResourceCacheDirectory { get; set; }

    /// <summary>The resource cache's size cap; past it, resources no task holds go, least recently used first. Default 20 GiB.</summary>
    public long ResourceCacheBytes { get; set; } = 20L << 30;

    /// <summary>
    /// The container engine that runs container tasks: <c>podman</c>, <c>docker</c>, <c>auto</c> (the
    /// first on PATH), or a path, with any global flags after it (<c>"podman --runtime runc"</c>).
    /// Null: this worker runs no container tasks, and is not leased any.
    /// </summary>
    public string? ContainerEngine { get; set; }

    /// <summary>How much of each of stdout and stderr the worker keeps and sends (the tail). Default 1 MiB.</summary>
    public int OutputLimitBytes { get; set; } = 1024 * 1024;

    /// <summary>How often new output of running tasks is sent to the server. Default 1 s.</summary>
    public TimeSpan OutputFlushInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Hold a channel with the server (one WebSocket: tasks pushed, reports acknowledged on it), falling
    /// back to HTTP lease and report requests while the server refuses it. Default true; false: HTTP only.
    /// </summary>
    public bool Channel { get; set; } = true;

    /// <summary>How often a worker on HTTP tries to open the channel again. Default 5 s.</summary>
    public TimeSpan ChannelRetry { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long one lease request long-polls when nothing is ready. Default 30 s.</summary>
    public TimeSpan LeaseWait { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long a stopping worker lets its running tasks finish before it interrupts them and hands
    /// them back. Default 0: at once (<c>drover worker</c> defaults to 30 s).
    /// </summary>
    public TimeSpan Grace { get; set; }

    /// <summary>How long a stopping worker lets interrupted tasks end after SIGTERM before SIGKILL. Default 2 s.</summary>
    public TimeSpan StopGrace { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// A directory of dataset shards to serve (<c>DIR/&lt;dataset&gt;/&lt;shard&gt;.parquet</c>): the worker
    /// answers group-by queries over them and announces them to the server. Null: none.
    /// </summary>
    public string? DataDirectory { get; set; }

    /// <summary>
    /// The log level that <c>drover admin loglevel</c> turns on this worker (the worker's logger must filter
    /// with it); null: the host's logging is its own, and the order is refused.
    /// </summary>
    public Logging.LogLevelSwitch? LogLevels { get; set; }

    /// <summary>The .NET handlers this worker runs (besides commands); <c>echo</c> is built in.</summary>
    public TaskHandlers Handlers { get; } = new();

    /// <summary>Registers a .NET handler: <c>o.Handle&lt;ResizeArgs, ResizeResult&gt;("resize", async (args, ctx) => ...)</c>.</summary>
    public WorkerOptions Handle<TArgs, TResult>(string name, Func<TArgs, HandlerContext, Task<TResult>> handler)
    {
        Handlers.Handle(name, handler);
        return this;
    }

    /// <summary>Registers a .NET handler with no result.</summary>
    public WorkerOptions Handle<TArgs>(string name, Func<TArgs, HandlerContext, Task> handler)
    {
        Handlers.Handle(name, handler);
        return this;
    }

    /// <summary>The host's services, handed to handlers (set by <c>AddDroverWorker</c>).</summary>
    public IServiceProvider? Services { get; set; }

    public void Validate()
    {
        if (Server is null) throw new ArgumentException("--server is required (the server's URL, e.g. http://127.0.0.1:5000).");
        if (string.IsNullOrWhiteSpace(Token)) throw new ArgumentException("--token is required (or DROVER_TOKEN): the server's worker.token or admin.token.");
        if (Concurrency < 1) throw new ArgumentException($"--concurrency must be at least 1, not {Concurrency}.");
        if (Prefetch < 0) throw new ArgumentException($"--prefetch must not be negative, not {Prefetch}.");
        if (OutputLimitBytes < 0) throw new ArgumentException("--output-limit must not be negative.");
        if (DataDirectory is not null && !Directory.Exists(DataDirectory)) throw new ArgumentException($"--data-dir: the directory {DataDirectory} does not exist.");
        if (Grace < TimeSpan.Zero) throw new ArgumentException("--grace must not be negative.");
        if (ResourceCacheBytes < 0) throw new ArgumentException("--resource-cache must not be negative.");
    }
}
