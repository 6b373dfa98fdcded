using Drover.Contracts;
using Drover.Datasets;
using Drover.Storage;
using Drover.Worker.Handlers;
using Microsoft.Extensions.Logging;

namespace Drover.Worker.Datasets;

/// <summary>
/// Serves the dataset shards under a worker's data directory (<c>drover worker --data-dir</c>): answers
/// shard queries with DuckDB under a handler name that only this worker offers (so the server can
/// send a shard's query to a worker that holds it), and tells the server what it holds when that
/// changes, woken by the file system (inotify), not by a timer.
/// </summary>
internal sealed class ShardService : IDisposable
{
    /// <summary>A copy or a rename fires several events: they are let settle before the directory is scanned again.</summary>
    private static readonly TimeSpan Settle = TimeSpan.FromMilliseconds(300);

    private readonly string _directory;
    private readonly ILogger _logger;
    private readonly ScanCache _cache = new();
    private readonly FileSystemWatcher _watcher;
    private readonly AsyncSignal _changed = new();
    /// <summary>One scan and announcement at a time: the watcher's and a switch's.</summary>
    private readonly SemaphoreSlim _announcing = new(1, 1);
    private volatile bool _announceAgain;
    private Task _next;
    private Func<ShardAnnouncement, CancellationToken, Task>? _announce;

    public ShardService(string directory, ILogger logger)
    {
        _directory = Path.GetFullPath(directory);
        _logger = logger;
        Handler = ShardHandlers.Prefix + NodeOf(_directory);
        _watcher = new FileSystemWatcher(_directory)
        {
            IncludeSubdirectories = true,
            NotifyFilter = NotifyFilters.FileName | NotifyFilters.DirectoryName | NotifyFilters.LastWrite | NotifyFilters.Size,
        };
        _watcher.Created += (_, _) => _changed.Pulse();
        _watcher.Changed += (_, _) => _changed.Pulse();
        _watcher.Deleted += (_, _) => _changed.Pulse();
        _watcher.Renamed += (_, _) => _changed.Pulse();
        // Changes from now on wake the first round, so none between this scan and the loop is missed.
        _next = _changed.WaitHandle;
        _watcher.EnableRaisingEvents = true;
        Current = Announce();
    }

    /// <summary>The handler this worker's shard queries go to: <c>drover.shard:</c> and the data directory's node id.</summary>
    public string Handler { get; }

    /// <summary>
    /// The node id of a data directory: the same for every worker of this machine that serves this
    /// directory (they share its files, so a query may go to any of them and a distribution stages
    /// into it once), different for another directory or machine.
    /// </summary>
    internal static string NodeOf(string directory)
    {
        var identity = System.Text.Encoding.UTF8.GetBytes(Environment.MachineName + "\n" + Path.GetFullPath(directory).TrimEnd('/'));
        return Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(identity))[..16];
    }

    /// <summary>What the worker holds as of the last scan.</summary>
    public ShardAnnouncement Current { get; private set; }

    /// <summary>Adds the shard handler to the worker's handlers.</summary>
    public TaskHandlers AddTo(TaskHandlers handlers)
    {
        var stager = new ShardStager(_directory, AnnounceNowAsync);
        return handlers
            .With<ShardQuery, ShardAnswer>(Handler, (query, context) => Task.Run(() => Run(query, context), context.CancellationToken))
            .With<StageOrder, object>(ShardHandlers.StageHandlerOf(Handler), stager.RunAsync);
    }

    /// <summary>The server lost its catalogue (it restarted): announce again, changed or not.</summary>
    public void AnnounceAgain()
    {
        _announceAgain = true;
        _changed.Pulse();
    }

    /// <summary>Until stopped: after each change under the directory, scans it and announces what changed.</summary>
    public async Task AnnounceChangesAsync(Func<ShardAnnouncement, CancellationToken, Task> announce, CancellationToken stopping)
    {
        _announce = announce;
        try
        {
            while (true)
            {
                await _next.WaitAsync(stopping);
                await Task.Delay(Settle, stopping);
                _next = _changed.WaitHandle;
                try
                {
                    await ScanAndAnnounceAsync(stopping);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // The next heartbeat's answer asks again if the server missed it; a change also retries.
                    Log.ShardsNotAnnounced(_logger, ex.Message);
                    _announceAgain = true;
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
    }

    /// <summary>
    /// Scans and announces now, before a switch reports that it is done: the server routes queries to a
    /// new generation only after every holder's switch ended, and by then its catalogue must know the files.
    /// </summary>
    private Task AnnounceNowAsync(CancellationToken cancellationToken)
    {
        _announceAgain = true;
        return ScanAndAnnounceAsync(cancellationToken);
    }

    private async Task ScanAndAnnounceAsync(CancellationToken cancellationToken)
    {
        await _announcing.WaitAsync(cancellationToken);
        try
        {
            var scanned = Announce();
            if (!_announceAgain && SameShards(scanned, Current)) return;
            _announceAgain = false;
            if (_announce is not { } announce) throw new InvalidOperationException("the worker has not registered yet");
            try
            {
                await announce(scanned, cancellationToken);
            }
            catch
            {
                _announceAgain = true;
                throw;
            }
            Current = scanned;
            Log.ShardsAnnounced(_logger, scanned.Shards.Count);
        }
        finally
        {
            _announcing.Release();
        }
    }

    public void Dispose()
    {
        _watcher.Dispose();
        _announcing.Dispose();
    }

    private ShardAnnouncement Announce() => new()
    {
        Handler = Handler,
        Shards = ShardScanner.Scan(_directory, _cache, (file, ex) => Log.ShardUnreadable(_logger, file, ex.Message)),
    };

    private ShardAnswer Run(ShardQuery query, HandlerContext context)
    {
        // The server plans for one generation: a worker answers for that one or not at all, never another.
        var path = ShardScanner.PathOf(_directory, query.Dataset, query.Shard, query.Generation)
            ?? throw new InvalidOperationException($"this worker holds no shard '{query.Shard}' of generation {query.Generation} of dataset '{query.Dataset}'");
        return ShardEngine.Run(path, query, context.CancellationToken);
    }

    private static bool SameShards(ShardAnnouncement a, ShardAnnouncement b) =>
        a.Shards.Count == b.Shards.Count && a.Shards.Zip(b.Shards).All(p =>
            p.First.Dataset == p.Second.Dataset && p.First.Shard == p.Second.Shard && p.First.Generation == p.Second.Generation && p.First.Checksum == p.Second.Checksum);
}
