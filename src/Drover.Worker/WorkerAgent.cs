using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Threading.Channels;
using Drover.Client;
using Drover.Contracts;
using Drover.Json;
using Drover.Model;
using Drover.Resilience;
using Drover.Storage;
using Drover.Worker.Execution;
using Microsoft.Extensions.Logging;

namespace Drover.Worker;

/// <summary>
/// The worker: registers, is pushed tasks on its channel (<c>WorkerAgent.Channel.cs</c>) or, while the
/// server refuses it, leases them in batches with a long-poll (never a sleep), runs up to
/// <c>concurrency</c> at once with <c>prefetch</c> more in hand, and reports through a
/// <see cref="Reporter"/>. Stopping has two stages: take no new work, then interrupt what runs
/// and hand it back so it runs again elsewhere.
/// </summary>
public sealed partial class WorkerAgent
{
    private readonly WorkerOptions _options;
    private readonly DroverClient _client;
    private readonly ILogger _logger;
    private readonly BackoffPolicy _backoff;
    private readonly Reporter _reporter;
    private readonly IReadOnlyList<ITaskRunner> _runners;
    private readonly Hand _hand;
    private readonly CancellationTokenSource _drain = new();
    private readonly Datasets.ShardService? _shards;
    private readonly Handlers.TaskHandlers _handlers;
    private readonly Staging.ResourceCache _resources;
    private readonly ContainerEngine? _engine;

    public WorkerAgent(WorkerOptions options, ILogger logger, BackoffPolicy? backoff = null)
    {
        options.Validate();
        _options = options;
        _logger = logger;
        _backoff = backoff ?? BackoffPolicy.Default;
        _client = new DroverClient(options.Server!, options.Token!, DroverClientOptions.FailFast with { CaFile = options.CaFile });
        _reporter = new Reporter(SendReportAsync, _backoff, logger) { OnStale = StopStale, OnSignals = ApplySignals, OnControl = ApplyControl, Reregister = RegisterAsync };
        _hand = new Hand(options.Concurrency, options.Prefetch, RunAsync, lease => new RunningTask(lease, options.OutputLimitBytes, _reporter.Enqueue));
        _reporter.Held = _hand.HeldIds;
        _reporter.Stats = () => MachineStatsReader.Read(options.WorkDirectory);
        var handlers = new Handlers.AdminHandler(options.LogLevels).AddTo(options.Handlers);
        if (options.DataDirectory is { } data)
        {
            _shards = new Datasets.ShardService(data, logger);
            handlers = _shards.AddTo(handlers);
            _reporter.OnAnnounceShards = _shards.AnnounceAgain;
            var shards = _shards.Current.Shards;
            Log.ServingShards(logger, shards.Count, shards.Select(s => s.Dataset).Distinct().Count(), data);
        }
        _handlers = handlers;
        Func<LeasedTask, StatusUpdate, CancellationToken, Task> status = (lease, update, ct) => _client.SetStatusAsync(lease.TaskId, update, lease.TaskToken!, ct);
        _resources = ResourceCacheFolder.Open(options, logger);
        var stager = new DataStager(new Staging.Fetcher(), new Staging.Uploader(), _resources, status);
        var cache = new ResultCache(_client.FindCachedAsync);
        _engine = options.ContainerEngine is { } engine ? ContainerEngine.Find(engine) : null;
        _runners = [
            .. _engine is null ? [] : new[] { new StagedRunner(new ContainerRunner(_engine, options, options.Server!), stager, cache, options.WorkDirectory) },
            new StagedRunner(new ProcessRunner(options, options.Server!), stager, cache, options.WorkDirectory),
            new HandlerRunner(handlers, status,
                (lease, ct) => _client.GetTaskAsync(lease.TaskId, lease.TaskToken!, ct),
                logger, options.Services)];
    }

    /// <summary>The id the server gave this worker (after it registered).</summary>
    public Guid WorkerId => _reporter.WorkerId;

    /// <param name="stopping">Stop taking work; running tasks are interrupted and handed back.</param>
    public async Task RunAsync(CancellationToken stopping)
    {
        var outerStopping = stopping;
        if (_engine is not null)
        {
            var removed = await _engine.RemoveLeftoversAsync();
            Log.ContainerEngine(_logger, _engine.Name, string.Join(' ', _engine.GlobalArgs), removed);
        }
        _reporter.WorkerId = await RegisterAsync(stopping);
        using var abortReports = new CancellationTokenSource();
        var reporting = _reporter.RunAsync(abortReports.Token);
        // A worker that can no longer report must not go on leasing: stop, and let the failure surface.
        using var reporterFailed = new CancellationTokenSource();
        _ = reporting.ContinueWith(t =>
        {
            Log.ReporterFailed(_logger, t.Exception!);
            reporterFailed.Cancel();
        }, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(stopping, reporterFailed.Token, _drain.Token);
        stopping = stop.Token;
        var flushing = FlushOutputAsync(stopping);
        var announcing = _shards?.AnnounceChangesAsync((shards, ct) => _client.AnnounceShardsAsync(_reporter.WorkerId, shards, ct), stopping) ?? Task.CompletedTask;

        await LeaseLoopAsync(stopping);

        // Stage two: what is in hand goes back; what runs is interrupted and goes back too.
        _reporter.State = WorkerState.Draining;
        Log.Stopping(_logger, _hand.Count);
        var (unstarted, slotsDone) = _hand.Close();
        foreach (var lease in unstarted) _reporter.Enqueue(new ReportEvent { Type = ReportEventType.Released, ExecutionId = lease.ExecutionId });
        // Told to drain: what runs finishes, however long it takes (a SIGTERM still cuts it short).
        var grace = _drain.IsCancellationRequested ? Timeout.InfiniteTimeSpan : _options.Grace;
        if (grace != TimeSpan.Zero && !slotsDone.IsCompleted && !await _client.IsReachableAsync(TimeSpan.FromSeconds(2), CancellationToken.None))
        {
            // What finished could not be reported, and the server gives the leases out again anyway.
            Log.NoGraceWithoutServer(_logger, _hand.Running().Count);
            grace = TimeSpan.Zero;
        }
        if (grace != TimeSpan.Zero && !slotsDone.IsCompleted)
        {
            // Running tasks may finish within the grace period; whatever still runs then goes back.
            Log.Draining(_logger, _hand.Running().Count, grace);
            // A drain is cut short by a later SIGTERM; a SIGTERM's own grace runs its course.
            var cutShort = _drain.IsCancellationRequested && !outerStopping.IsCancellationRequested ? outerStopping : CancellationToken.None;
            await Task.WhenAny(slotsDone, Task.Delay(grace, cutShort));
        }
        foreach (var task in _hand.Running()) task.Stop(StopReason.Interrupted);
        await slotsDone;
        await flushing;
        await announcing;
        _shards?.Dispose();
        ResourceCacheFolder.Remove(_resources);

        _reporter.State = WorkerState.Stopped;
        _reporter.Complete();
        // Nothing runs any more: a server out of reach now is not waited for.
        _reporter.GiveUpWhenUnreachable();
        // Hand-backs matter (they let the tasks run again at once), but not forever if the server is gone.
        abortReports.CancelAfter(TimeSpan.FromSeconds(10));
        try
        {
            await reporting;
        }
        catch (OperationCanceledException) when (abortReports.IsCancellationRequested)
        {
        }
        _client.Dispose();
    }

    private async Task<Guid> RegisterAsync(CancellationToken cancellationToken)
    {
        var registration = new WorkerRegistration
        {
            Name = _options.Name ?? $"{Environment.MachineName}-{Environment.ProcessId}",
            Hostname = Environment.MachineName,
            Pid = Environment.ProcessId,
            Concurrency = _options.Concurrency,
            Prefetch = _options.Prefetch ?? 0,
            PrefetchAuto = _options.Prefetch is null,
            Batch = _options.Batch,
            Recyclable = _options.Recyclable,
            // A worker with a container engine offers the capability beside its handlers, and so is leased container tasks.
            Handlers = [.. _handlers.Names, .. _engine is null ? [] : new[] { ContainerTasks.Capability }],
            Data = _shards?.Current,
        };
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                var registered = await _client.RegisterWorkerAsync(registration, cancellationToken);
                _reporter.Heartbeat = TimeSpan.FromSeconds(registered.HeartbeatSeconds);
                Log.Registered(_logger, registered.Worker.Name, registered.Worker.Id, _options.Server!, _options.Concurrency,
                    _options.Prefetch?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "auto");
                return registered.Worker.Id;
            }
            catch (Exception ex) when (IsTransient(ex, cancellationToken))
            {
                await DelayAsync(ex, attempt, cancellationToken);
            }
        }
    }

    /// <summary>Over the channel while the server takes it, else over HTTP, trying the channel again every <see cref="WorkerOptions.ChannelRetry"/>.</summary>
    private async Task LeaseLoopAsync(CancellationToken stopping)
    {
        var refused = false;
        while (!stopping.IsCancellationRequested)
        {
            if (_options.Channel)
            {
                // A refusal is said once, not at every try.
                var end = await RunChannelAsync(stopping, quiet: refused);
                refused = end == ChannelEnd.Refused;
                if (end == ChannelEnd.Again) continue;
            }
            await LeaseOverHttpAsync(_options.Channel ? Stopwatch.GetTimestamp() + (long)(_options.ChannelRetry.TotalSeconds * Stopwatch.Frequency) : long.MaxValue, stopping);
        }
    }

    /// <param name="until">A <see cref="Stopwatch"/> timestamp: then the channel is tried again.</param>
    private async Task LeaseOverHttpAsync(long until, CancellationToken stopping)
    {
        var failures = 0;
        while (!stopping.IsCancellationRequested && Stopwatch.GetTimestamp() < until)
        {
            try
            {
                var room = _hand.Room(out var wake);
                if (room == 0)
                {
                    await PollSignalsAsync(wake, until, stopping);
                    failures = 0;
                    continue;
                }
                var lease = new LeaseRequest { Max = room, Wait = LeaseWait(until) };
                var answer = await _client.LeaseWithSignalsAsync(_reporter.WorkerId, lease, stopping);
                failures = 0;
                if (answer.Tasks.Count > 0 && _logger.IsEnabled(LogLevel.Debug))
                    Log.Leased(_logger, answer.Tasks.Count, string.Join(", ", answer.Tasks.Select(t => t.TaskId)));
                // Held leases are renewed by the reports; a worker that dies stops renewing them.
                _hand.Add(answer.Tasks);
                ApplySignals(answer.Signals);
                ApplyControl(answer.Control);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (DroverApiException ex) when (ex.Status == HttpStatusCode.NotFound)
            {
                Log.Reregistering(_logger);
                _reporter.WorkerId = await RegisterAsync(stopping);
            }
            catch (Exception ex) when (IsTransient(ex, stopping))
            {
                try
                {
                    await DelayAsync(ex, failures++, stopping);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private async Task RunAsync(LeasedTask lease, RunningTask task)
    {
        using var scope = TaskScope(lease.TaskId);
        ITaskRunner? runner = null;
        foreach (var candidate in _runners)
        {
            if (candidate.CanRun(lease))
            {
                runner = candidate;
                break;
            }
        }
        ReportEvent finished;
        try
        {
            finished = runner is null
                ? task.Finished(exitCode: null, error: lease.Container is null ? "the task has neither a command nor a handler" : "this worker has no container engine")
                : await runner.RunAsync(task);
        }
        catch (Exception ex)
        {
            Log.RunFailed(_logger, lease.TaskId, ex);
            finished = task.Finished(exitCode: null, error: $"the worker failed to run the task: {ex.Message}");
        }
        if (task.StopReason == StopReason.Stale) return;
        if (task.TakeOutput() is { } output) _reporter.Enqueue(output);
        _reporter.Enqueue(task.StopReason == StopReason.Interrupted
            ? new ReportEvent { Type = ReportEventType.Released, ExecutionId = lease.ExecutionId }
            : finished);
    }

    /// <summary>Streams new output of running tasks to the server every flush interval.</summary>
    private async Task FlushOutputAsync(CancellationToken stopping)
    {
        using var timer = new PeriodicTimer(_options.OutputFlushInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(stopping))
            {
                foreach (var task in _hand.Running())
                {
                    if (task.TakeOutput() is { } output) _reporter.Enqueue(output);
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
    }

    /// <summary>
    /// With no room for more tasks, the worker still keeps a lease of <c>max: 0</c> open, so that a
    /// signal for one of its tasks arrives within moments, not at the next report; it is given up as
    /// soon as there is room to lease again.
    /// </summary>
    private async Task PollSignalsAsync(Task room, long until, CancellationToken stopping)
    {
        using var poll = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        var answer = _client.LeaseWithSignalsAsync(_reporter.WorkerId, new LeaseRequest { Max = 0, Wait = LeaseWait(until) }, poll.Token);
        if (await Task.WhenAny(answer, room) == answer)
        {
            ApplySignals((await answer).Signals);
            ApplyControl((await answer).Control);
            return;
        }
        await poll.CancelAsync();
        try
        {
            ApplySignals((await answer).Signals);
            ApplyControl((await answer).Control);
        }
        catch (OperationCanceledException) when (!stopping.IsCancellationRequested)
        {
        }
    }

    /// <summary>A long-poll lasts the lease wait, or until the channel is to be tried again.</summary>
    private double LeaseWait(long until) =>
        Math.Max(0, Math.Min(_options.LeaseWait.TotalSeconds, (double)(until - Stopwatch.GetTimestamp()) / Stopwatch.Frequency));

    /// <summary>New settings from the server (PATCH or DELETE /api/workers/{id}).</summary>
    private void ApplyControl(WorkerControl? control)
    {
        if (control is null) return;
        Log.Control(_logger, control.Concurrency, control.PrefetchAuto ? "auto" : control.Prefetch.ToString(System.Globalization.CultureInfo.InvariantCulture),
            control.Batch ?? "(all)", control.Paused, control.Drain);
        _hand.Change(control.Concurrency, control.PrefetchAuto ? null : control.Prefetch, control.Paused);
        if (control.Drain)
        {
            _reporter.State = WorkerState.Draining;
            _drain.Cancel();
        }
        else
        {
            _reporter.State = control.Paused ? WorkerState.Paused : WorkerState.Running;
        }
    }

    /// <summary>What is logged about a task names it and this worker (the scopes of <c>--log-format json</c>).</summary>
    private IDisposable? TaskScope(Guid taskId) =>
        _logger.BeginScope(new TaskLogScope(taskId, _reporter.WorkerId));

    private void ApplySignals(IReadOnlyList<SignalCommand> signals)
    {
        foreach (var command in signals)
        {
            if (_hand.TryGetRunning(command.ExecutionId, out var task))
            {
                using var scope = TaskScope(task!.Lease.TaskId);
                Log.Signaled(_logger, task.Lease.TaskId, Enums.Name(command.Signal));
                task.Apply(command.Signal);
            }
        }
    }

    private void StopStale(IReadOnlyList<Guid> executionIds)
    {
        foreach (var id in executionIds)
        {
            if (_hand.TryGetRunning(id, out var task)) task!.Stop(StopReason.Stale);
        }
    }

    private static bool IsTransient(Exception ex, CancellationToken cancellationToken) =>
        !cancellationToken.IsCancellationRequested &&
        (ex is HttpRequestException or IOException || ex is DroverApiException { Status: >= HttpStatusCode.InternalServerError });

    private async Task DelayAsync(Exception ex, int attempt, CancellationToken cancellationToken)
    {
        var delay = _backoff.Delay(attempt);
        Log.ServerUnreachable(_logger, ex.Message, delay);
        await Task.Delay(delay, cancellationToken);
    }
}
