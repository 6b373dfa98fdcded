using System.CommandLine;
using Drover.Bench;

// The load generator (issue 3): starts its own server and workers unless --server is given,
// runs one scenario, prints its figures. It asserts nothing.
var server = new Option<string?>("--server") { Description = "Use a running server instead of starting one", Recursive = true };
var token = new Option<string?>("--token") { Description = "Admin token for --server (default: $DROVER_TOKEN)", Recursive = true };
var json = new Option<bool>("--json") { Description = "Print one JSON object per scenario", Recursive = true };
var store = new Option<string>("--store") { DefaultValueFactory = _ => "sqlite", Description = "sqlite, memory or postgres (with --postgres)", Recursive = true };
var servers = new Option<int>("--servers") { DefaultValueFactory = _ => 1, Description = "Servers on one PostgreSQL database (--store postgres): workers and submit requests are spread over them", Recursive = true };
var workers = new Option<int>("--workers") { DefaultValueFactory = _ => 2, Recursive = true };
var concurrency = new Option<int>("--concurrency") { DefaultValueFactory = _ => 4, Recursive = true };
var prefetch = new Option<string>("--prefetch") { DefaultValueFactory = _ => "1000", Description = "Tasks each worker leases beyond those running: a number, or auto (the workers' default)", Recursive = true };
var channel = new Option<string>("--channel") { DefaultValueFactory = _ => "on", Description = "on: workers hold their channel (the default); off: they lease and report over HTTP", Recursive = true };
var tasks = new Option<int>("--tasks") { DefaultValueFactory = _ => 20_000 };
var batchSize = new Option<int>("--batch-size") { DefaultValueFactory = _ => 1000 };
var submitters = new Option<int>("--submitters") { DefaultValueFactory = _ => 2, Description = "Submit requests in flight at once" };
var subscribers = new Option<int>("--subscribers") { Description = "WebSocket followers of every event, connected during the run" };
var followMode = new Option<string>("--follow") { DefaultValueFactory = _ => "group", Description = "What each subscriber follows: group (its own; the tasks are spread over them), idle (its own, with no work in it) or all" };
var kind = new Option<string>("--kind") { DefaultValueFactory = _ => "echo", Description = "echo (in-process handler) or shell (runs `true`)" };
var count = new Option<int>("--count") { DefaultValueFactory = _ => 300 };
var parallel = new Option<int>("--parallel") { DefaultValueFactory = _ => 8 };
var records = new Option<int>("--records") { DefaultValueFactory = _ => 1_000_000, Description = "Synthetic tasks in the database" };
var postgres = new Option<string?>("--postgres")
{
    Description = "PostgreSQL connection string for --store postgres (default: $DROVER_POSTGRES); its tables are replaced",
    DefaultValueFactory = _ => Environment.GetEnvironmentVariable("DROVER_POSTGRES"),
    Recursive = true,
};

async Task<LocalCluster> ClusterAsync(ParseResult parse, int? workerCount = null)
{
    if (parse.GetValue(server) is { } url)
    {
        return LocalCluster.Existing(new Uri(url), parse.GetValue(token) ?? Environment.GetEnvironmentVariable("DROVER_TOKEN")
            ?? throw new ArgumentException("--server needs --token or DROVER_TOKEN"));
    }
    var (storeName, serverCount) = (parse.GetValue(store)!, parse.GetValue(servers));
    if (serverCount < 1 || (serverCount > 1 && storeName != "postgres")) throw new ArgumentException("--servers N (N > 1) needs --store postgres: the servers share its database");
    string[] serverArgs = [];
    PostgresStats? stats = null;
    if (storeName == "postgres")
    {
        var connection = parse.GetValue(postgres) ?? throw new ArgumentException("--store postgres needs --postgres or DROVER_POSTGRES");
        await PostgresStats.ResetAsync(connection);
        (serverArgs, stats) = (["--postgres", connection], new PostgresStats(connection));
    }
    var cluster = await LocalCluster.StartAsync(storeName, workerCount ?? parse.GetValue(workers), parse.GetValue(concurrency), parse.GetValue(prefetch)!,
        channel: parse.GetValue(channel)!, servers: serverCount, serverArgs: serverArgs);
    cluster.Database = stats;
    return cluster;
}

var throughput = new Command("throughput", "Submit many tasks in batches and wait for all") { tasks, batchSize, submitters, kind, subscribers, followMode };
throughput.SetAction(async parse =>
{
    var taskKind = parse.GetValue(kind)!;
    if (taskKind is not ("echo" or "shell")) throw new ArgumentException("--kind must be echo or shell");
    await using var cluster = await ClusterAsync(parse);
    var result = await Scenarios.ThroughputAsync(cluster, parse.GetValue(tasks), parse.GetValue(batchSize), parse.GetValue(submitters), taskKind,
        parse.GetValue(workers) * parse.GetValue(concurrency), parse.GetValue(subscribers), parse.GetValue(followMode)!);
    result.Add("store", parse.GetValue(store)!).Add("servers", parse.GetValue(servers)).Add("workers", parse.GetValue(workers)).Add("concurrency", parse.GetValue(concurrency)).Add("prefetch", parse.GetValue(prefetch)!).Add("channel", parse.GetValue(channel)!);
    result.Print(parse.GetValue(json));
});

var warmup = new Option<double>("--warmup") { Description = "Seconds of unmeasured round trips first (the JIT's tiering of three processes settles in 5-10 s)", DefaultValueFactory = _ => 10 };
var latency = new Command("latency", "One echo task at a time: submit, wait, repeat") { count, subscribers, warmup };
latency.SetAction(async parse =>
{
    if (parse.GetValue(warmup) is < 0 or double.NaN) throw new ArgumentException("--warmup must be a number of seconds, 0 or more");
    await using var cluster = await ClusterAsync(parse);
    (await Scenarios.LatencyAsync(cluster, parse.GetValue(count), TimeSpan.FromSeconds(parse.GetValue(warmup)), parse.GetValue(subscribers))).Add("store", parse.GetValue(store)!).Add("channel", parse.GetValue(channel)!)
        .Print(parse.GetValue(json));
});

var spawn = new Command("spawn-baseline", "How fast this machine starts and reaps `true`, without Drover") { tasks, parallel };
spawn.SetAction(parse => Scenarios.SpawnBaseline(parse.GetValue(tasks), parse.GetValue(parallel)).Print(parse.GetValue(json)));

var query = new Command("query", "Typical task-database queries over many synthetic tasks, through the API") { records, count };
query.SetAction(async parse =>
{
    var storeName = parse.GetValue(store)!;
    if (storeName is not ("sqlite" or "postgres")) throw new ArgumentException("query runs on --store sqlite or postgres");
    (await QueryScenario.RunAsync(storeName, parse.GetValue(records), parse.GetValue(count), parse.GetValue(postgres))).Print(parse.GetValue(json));
});

var simulatedWorkers = new Option<int>("--count") { DefaultValueFactory = _ => 100, Description = "Simulated workers" };
var workersTasks = new Option<int>("--tasks") { DefaultValueFactory = _ => 20_000 };
var simulate = new Command("workers", "Many simulated workers from one process speaking the worker protocol (HTTP): load per request, spread, exactly once")
    { simulatedWorkers, workersTasks, batchSize };
simulate.SetAction(async parse =>
{
    await using var cluster = await ClusterAsync(parse, workerCount: 0);
    (await WorkersScenario.RunAsync(cluster, parse.GetValue(simulatedWorkers), parse.GetValue(workersTasks), parse.GetValue(concurrency), parse.GetValue(batchSize)))
        .Add("store", parse.GetValue(store)!).Print(parse.GetValue(json));
});

var toPurge = new Option<int?>("--purge") { Description = "Purge the oldest N of the records (default: all)" };
var retention = new Option<bool>("--retention") { Description = "Purged by the server's --keep-finished instead of POST /api/tasks/purge" };
var purge = new Command("purge", "A purge of --records synthetic ended tasks (or the oldest --purge of them), with one task's round trip measured before and during it") { records, toPurge, retention };
purge.SetAction(async parse =>
{
    var storeName = parse.GetValue(store)!;
    if (storeName is not ("sqlite" or "postgres")) throw new ArgumentException("purge runs on --store sqlite or postgres");
    if (parse.GetValue(toPurge) is < 1) throw new ArgumentException("--purge must be at least 1 (or left out, to purge every record)");
    (await PurgeScenario.RunAsync(storeName, parse.GetValue(records), parse.GetValue(toPurge), parse.GetValue(retention), parse.GetValue(postgres))).Print(parse.GetValue(json));
});

var updates = new Option<int>("--updates") { DefaultValueFactory = _ => 200_000 };
var processes = new Option<int>("--processes") { DefaultValueFactory = _ => 4 };
var threads = new Option<int>("--threads") { DefaultValueFactory = _ => 8, Description = "Writer threads per process (they share commits)" };
var tracker = new Command("tracker", "Drover.Tracker: durable updates per second from one and several processes, TryKeys claims per second") { updates, processes, threads };
tracker.SetAction(async parse => (await TrackerScenario.RunAsync(parse.GetValue(updates), parse.GetValue(processes), parse.GetValue(threads))).Print(parse.GetValue(json)));

var settle = new Option<double>("--settle") { DefaultValueFactory = _ => 10, Description = "Seconds to wait before the last reading" };
var badBodies = new Command("bad-bodies", "Server memory under 15 MB bad request bodies, one after another and eight at once") { count, settle };
badBodies.SetAction(async parse => (await BadBodiesScenario.RunAsync(parse.GetValue(count), TimeSpan.FromSeconds(parse.GetValue(settle)))).Print(parse.GetValue(json)));

var rows = new Option<long>("--rows") { DefaultValueFactory = _ => 10_000_000, Description = "Synthetic trips in the dataset" };
var shardCount = new Option<int>("--shards") { DefaultValueFactory = _ => 10, Description = "Shards, spread over the workers" };
var repeat = new Option<int>("--repeat") { DefaultValueFactory = _ => 5, Description = "Timed runs of each engine (the median is given), after one warm-up" };
var groupby = new Command("groupby", "A group-by over sharded Parquet on worker processes, against one DuckDB query and pandas on the same data") { rows, shardCount, repeat };
groupby.SetAction(async parse => (await GroupByScenario.RunAsync(parse.GetValue(rows), parse.GetValue(shardCount), parse.GetValue(workers),
    parse.GetValue(concurrency), parse.GetValue(repeat))).Print(parse.GetValue(json)));

// The tracker scenario runs this program again as its other processes.
if (args is ["tracker-child", .. var childArgs]) return TrackerScenario.Child(childArgs);

var size = new Option<string>("--size") { DefaultValueFactory = _ => "1GB", Description = "The object's size (1GB, 200MB)" };
var stagingRepeat = new Option<int>("--repeat") { DefaultValueFactory = _ => 3, Description = "Transfers of each kind; the best is reported" };
var staging = new Command("staging", "A task's input fetched and its output uploaded through a local S3 API, against curl GET and PUT of the same object") { size, stagingRepeat };
staging.SetAction(async parse =>
{
    if (!Drover.Text.ByteSizes.TryParse(parse.GetValue(size), out var bytes)) throw new ArgumentException($"--size: '{parse.GetValue(size)}' is not a size such as 1GB");
    (await StagingScenario.RunAsync(bytes, parse.GetValue(stagingRepeat))).Print(parse.GetValue(json));
});

var taskSeconds = new Option<double>("--seconds") { DefaultValueFactory = _ => 0.05, Description = "How long each task sleeps" };
var idle = new Option<double>("--idle-timeout") { DefaultValueFactory = _ => 3, Description = "Seconds a recruited worker stays idle before it is given back" };
var recruit = new Command("recruit", "The same tasks on workers started by hand beforehand and on workers a local recruiter starts from zero; deploy and give-back times")
{
    tasks, taskSeconds, idle,
};
recruit.SetAction(async parse => (await RecruitScenario.RunAsync(parse.GetValue(store)!, parse.GetValue(tasks), parse.GetValue(taskSeconds), parse.GetValue(workers),
    parse.GetValue(concurrency), TimeSpan.FromSeconds(parse.GetValue(idle)))).Print(parse.GetValue(json)));

var hangfire = new Command("hangfire", "Drover's defaults against Hangfire with in-memory storage in one process: the same no-op jobs and workers") { tasks };
hangfire.SetAction(async parse => (await HangfireScenario.RunAsync(parse.GetValue(store)!, parse.GetValue(tasks), parse.GetValue(workers), parse.GetValue(concurrency)))
    .Print(parse.GetValue(json)));

var frameTasks = new Option<int>("--tasks") { DefaultValueFactory = _ => 1000, Description = "Tasks per frame" };
var frameRepeat = new Option<int>("--repeat") { DefaultValueFactory = _ => 200, Description = "Timed rounds (the best is reported)" };
var frames = new Command("frames", "The worker channel's frames (a push of tasks, a report of their ends) in JSON and in MessagePack, in this process") { frameTasks, frameRepeat };
frames.SetAction(parse => FramesScenario.Run(parse.GetValue(frameTasks), parse.GetValue(frameRepeat)).Print(parse.GetValue(json)));

var root = new RootCommand("Drover's load generator") { server, token, json, store, servers, postgres, workers, concurrency, prefetch, channel, throughput, latency, spawn, query, simulate, purge, tracker, badBodies, groupby, staging, recruit, hangfire, frames };
return await root.Parse(args).InvokeAsync();
