using System.Collections.Concurrent;
using Drover.Json;
using Drover.Model;
using Drover.Query;
using Drover.Recruiting;
using Drover.Resilience;
using Drover.Server.Auth;
using Drover.Server.Hosting;
using Drover.Storage;
using Drover.Validation;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Drover.Server.Recruiting;

/// <summary>
/// The recruitment loop: every <c>--recruit-interval</c>, and at once when tasks are submitted or a
/// worker registers, it looks at the recruiters, the waiting tasks and the workers, and carries out
/// <see cref="RecruitmentPlan"/>'s decisions as jobs (deploy, destroy, recycle). The loop alone changes
/// deployments; a job's task reports back through <see cref="_outcomes"/> and wakes it.
/// </summary>
public sealed partial class Recruitment(
    ITaskStore store, IRecruitmentStore records, ProviderRegistry providers, DeploymentTokens tokens, StoreSignals signals,
    DroverServerOptions options, ServerAddress address, TimeProvider time, ILogger<Recruitment> logger) : BackgroundService
{
    /// <summary>The least time between two looks, however often tasks are submitted.</summary>
    private static readonly TimeSpan MinGap = TimeSpan.FromMilliseconds(200);

    /// <summary>After failed deploys, and between tries of a destroy: the shared backoff from DeployBackoff (5 s), doubling, jittered, up to 5 min.</summary>
    private readonly BackoffPolicy _retries = new(options.DeployBackoff, TimeSpan.FromMinutes(5));

    private readonly AsyncSignal _wake = new();
    private readonly ConcurrentQueue<(string Name, string? Failure)> _outcomes = new();
    private readonly IdleClock _idle = new();
    // Loop-owned: the live deployments, and what their jobs wait for.
    private readonly Dictionary<string, DeploymentRecord> _deployments = new(StringComparer.Ordinal);
    private readonly Dictionary<string, TaskCompletionSource<string?>> _registration = new(StringComparer.Ordinal);
    private readonly Dictionary<string, TaskCompletionSource> _stopped = new(StringComparer.Ordinal);
    // Deploys given up (their worker took too long): a registration that comes after is not taken.
    private readonly HashSet<string> _givenUp = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ProviderProcess> _runs = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string Batch, int Rank), (int Failures, DateTimeOffset Until)> _backoff = new();
    private readonly List<Task> _jobs = [];
    private bool _leading;
    private CancellationToken _stopping;

    /// <summary>Look again now (a recruiter changed, a worker registered).</summary>
    public void Wake() => _wake.Pulse();

    /// <summary>A recruiter's deploy failures in a row, and until when it waits before deploying again.</summary>
    public (int Failures, DateTimeOffset? Until) BackoffOf(string batch, int rank) =>
        _backoff.TryGetValue((batch, rank), out var b) ? (b.Failures, b.Until > time.GetUtcNow() ? b.Until : null) : (0, null);

    /// <summary>The workers with the provider and flavor of those a provider started.</summary>
    public async Task<IReadOnlyList<WorkerRecord>> DescribeAsync(IReadOnlyList<WorkerRecord> workers, CancellationToken cancellationToken)
    {
        var live = await records.ListLiveDeploymentsAsync(cancellationToken);
        var byWorker = live.Where(d => d.WorkerId is not null).ToDictionary(d => d.WorkerId!.Value);
        // One that registered a moment ago is known by its name until the loop links it.
        var byName = live.Where(d => d.Status == DeploymentState.Deploying).ToDictionary(d => d.Name, StringComparer.Ordinal);
        return [.. workers.Select(w => byWorker.TryGetValue(w.Id, out var d) || (w.Status.IsConnected() && byName.TryGetValue(w.Name, out d))
            ? w with { Provider = d.Provider, Flavor = d.Flavor }
            : w)];
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        _stopping = stoppingToken;
        using var timer = new PeriodicTimer(options.RecruitInterval, time);
        var tick = timer.WaitForNextTickAsync(stoppingToken).AsTask();
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                var woken = _wake.WaitHandle;
                var submitted = signals.TasksReady.WaitHandle;
                try
                {
                    await LookAsync(stoppingToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    Log.LookFailed(logger, ex);
                }
                await Task.Delay(MinGap, time, stoppingToken);
                var next = await Task.WhenAny(tick, woken, submitted).WaitAsync(stoppingToken);
                if (next == tick) tick = timer.WaitForNextTickAsync(stoppingToken).AsTask();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        // Local workers stop with the server, handing back what they hold (their stdin closes).
        foreach (var run in _runs.Values) run.CloseInput();
        await Task.WhenAll(_runs.Values.Select(r => r.Exited)).WaitAsync(TimeSpan.FromSeconds(10), CancellationToken.None).ContinueWith(_ => { }, TaskScheduler.Default);
        // Jobs in flight end with the server: those it cannot finish are marked failed at its next start.
        await Task.WhenAll(_jobs).WaitAsync(TimeSpan.FromSeconds(5), CancellationToken.None).ContinueWith(_ => { }, TaskScheduler.Default);
    }

    private async Task LookAsync(CancellationToken cancellationToken)
    {
        if (!await records.LeadsRecruitingAsync(cancellationToken))
        {
            _leading = false;
            return;
        }
        var now = time.GetUtcNow();
        if (!_leading) await TakeOverAsync(now, cancellationToken);
        _jobs.RemoveAll(j => j.IsCompleted);
        await ApplyOutcomesAsync(now, cancellationToken);

        var recruiters = await records.ListRecruitersAsync(cancellationToken);
        // With no recruiter and no worker of a provider's, there is nothing to do (and nothing to count).
        if (recruiters.Count == 0 && _deployments.Count == 0) return;
        var waiting = await CountAsync(TaskState.Queued, recruiters.Select(r => r.Batch).Concat(_deployments.Values.Select(d => d.Batch)), cancellationToken);
        var pending = await CountAsync(TaskState.Pending, _deployments.Values.Select(d => d.Batch), cancellationToken);
        var workers = await store.ListWorkersAsync(cancellationToken);
        await FollowWorkersAsync(workers, now, cancellationToken);

        var byWorker = _deployments.Values.Where(d => d.WorkerId is not null).ToDictionary(d => d.WorkerId!.Value);
        var view = new RecruitmentView
        {
            Recruiters = recruiters,
            Waiting = waiting,
            Pending = pending,
            Workers = [.. workers.Select(w => byWorker.TryGetValue(w.Id, out var d) && d.Status == DeploymentState.Running
                ? w with { Provider = d.Provider, Flavor = d.Flavor }
                : w)],
            Deploying = [.. _deployments.Values.Where(d => d.Status == DeploymentState.Deploying)],
        };
        _idle.Observe(view.Workers, now);
        await LearnOfQuickWorkAsync(view.Workers, now, cancellationToken);
        // Moving an idle worker to a batch that waits beats giving it back and deploying another.
        var (recycle, deploy) = RecruitmentPlan.Decide(view, r => MayDeploy(r, now));
        foreach (var move in recycle) await RecycleAsync(move, waiting, now, cancellationToken);
        var moved = recycle.Select(r => r.Worker.Id).ToHashSet();
        foreach (var idle in RecruitmentPlan.IdleToGiveBack(view, _idle, now, options.IdleTimeout, options.FirstTaskTimeout).Where(w => !moved.Contains(w.Id)))
        {
            var deployment = byWorker[idle.Id];
            var (span, worked) = _idle.Of(idle.Id, now);
            await StartDestroyAsync(deployment, $"idle for {Durations.Format(TimeSpan.FromSeconds(Math.Round(span.TotalSeconds)))}{(worked ? "" : ", never given a task")}, and batch {idle.Batch} has nothing waiting", now, cancellationToken);
        }
        foreach (var ask in deploy)
        {
            var provider = providers.Find(ask.Recruiter.Provider)!;
            var room = provider.MaxWorkers - LiveCount(provider);
            for (var i = 0; i < Math.Min(ask.Count, room); i++) await StartDeployAsync(ask.Recruiter, provider, now, cancellationToken);
        }
    }

    /// <summary>
    /// Looks happen every few seconds, and a worker may run all its tasks between two of them: before a
    /// recruited worker that seems never to have had work is timed by the first task's timeout, its
    /// last task (if any) is looked up, once.
    /// </summary>
    private async Task LearnOfQuickWorkAsync(IReadOnlyList<WorkerRecord> workers, DateTimeOffset now, CancellationToken cancellationToken)
    {
        foreach (var worker in workers.Where(w => w.Provider is not null && w.Running == 0 && w.Status == WorkerState.Running))
        {
            var (idle, worked) = _idle.Of(worker.Id, now);
            if (worked || idle < options.IdleTimeout) continue;
            var last = await store.QueryTasksAsync(new TaskQuery
            {
                Filter = new CompareFilter(TaskFields.Get("worker_id"), CompareOp.Eq, worker.Id.ToString()),
                Sort = [new SortKey(TaskFields.Get("completed"), Descending: true)],
                Limit = 1,
            }, cancellationToken);
            if (last is [{ Completed: { } ended }]) _idle.SawWork(worker.Id, ended);
        }
    }

    /// <summary>The tasks in <paramref name="state"/> of each batch named: one indexed count each, not a count of every batch.</summary>
    private async Task<Dictionary<string, long>> CountAsync(TaskState state, IEnumerable<string> batches, CancellationToken cancellationToken)
    {
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var batch in batches.Distinct(StringComparer.Ordinal))
        {
            counts[batch] = await store.CountTasksAsync(new AndFilter([
                new CompareFilter(TaskFields.Get("batch"), CompareOp.Eq, batch),
                new CompareFilter(TaskFields.Get("status"), CompareOp.Eq, Enums.Name(state))]), cancellationToken);
        }
        return counts;
    }

    private bool MayDeploy(RecruiterRecord recruiter, DateTimeOffset now) =>
        providers.Find(recruiter.Provider) is { } provider
        && !(_backoff.TryGetValue((recruiter.Batch, recruiter.Rank), out var backoff) && backoff.Until > now)
        && LiveCount(provider) < provider.MaxWorkers
        && address.ForWorkers is not null;

    private int LiveCount(IWorkerProvider provider) => _deployments.Values.Count(d => d.IsLive && d.Provider == provider.Name);

    /// <summary>
    /// Becoming the recruiting server (at start, or when another server that led went away): jobs that
    /// were running when their server stopped are marked failed, and the deployments it left are taken on.
    /// </summary>
    private async Task TakeOverAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        foreach (var state in new[] { JobState.Running, JobState.Pending })
        {
            foreach (var job in await records.ListJobsAsync(state, 10_000, cancellationToken))
            {
                await records.SaveJobAsync(job with
                {
                    Status = JobState.Failed, Ended = now,
                    Reason = "the server stopped while this job ran; its worker is reconciled",
                    Log = (job.Log ?? "") + "the server stopped while this job ran\n",
                }, cancellationToken);
            }
        }
        _deployments.Clear();
        foreach (var deployment in await records.ListLiveDeploymentsAsync(cancellationToken)) _deployments[deployment.Name] = deployment;
        _leading = true;
        foreach (var deployment in _deployments.Values.Where(d => d.Status == DeploymentState.Destroying).ToList())
            await StartDestroyAsync(deployment, "the server stopped while it was being given back", now, cancellationToken);
    }

    /// <summary>What jobs reported: a deploy that failed, a worker given back.</summary>
    private async Task ApplyOutcomesAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        while (_outcomes.TryDequeue(out var outcome))
        {
            if (!_deployments.Remove(outcome.Name, out var deployment)) continue;
            _registration.Remove(outcome.Name);
            _stopped.Remove(outcome.Name);
            _givenUp.Remove(outcome.Name);
            tokens.Revoke(outcome.Name);
            var ended = deployment with
            {
                Status = deployment.Status == DeploymentState.Deploying ? DeploymentState.Failed : DeploymentState.Gone, Ended = now,
            };
            await records.SaveDeploymentAsync(ended, cancellationToken);
            if (ended.Status == DeploymentState.Failed)
            {
                var key = (deployment.Batch, deployment.Rank);
                var failures = _backoff.TryGetValue(key, out var b) ? b.Failures + 1 : 1;
                var wait = _retries.Delay(failures - 1);
                _backoff[key] = (failures, now + wait);
                Log.DeployFailed(logger, deployment.Name, outcome.Failure ?? "", failures, wait);
            }
        }
    }

    /// <summary>
    /// Registrations of deployed workers (their jobs succeed), deploys that took too long (they fail),
    /// and deployed workers that stopped or were lost (given back, so a machine is never left behind).
    /// </summary>
    private async Task FollowWorkersAsync(IReadOnlyList<WorkerRecord> workers, DateTimeOffset now, CancellationToken cancellationToken)
    {
        foreach (var deployment in _deployments.Values.ToList())
        {
            var worker = deployment.WorkerId is { } id
                ? workers.FirstOrDefault(w => w.Id == id)
                : workers.Where(w => w.Name == deployment.Name && w.Status.IsConnected()).MaxBy(w => w.Registered);
            switch (deployment.Status)
            {
                case DeploymentState.Deploying when worker is not null && !_givenUp.Contains(deployment.Name):
                    var run = _runs.GetValueOrDefault(deployment.Name);
                    var registered = deployment with
                    {
                        Status = DeploymentState.Running, WorkerId = worker.Id, Registered = now,
                        Handle = run?.FirstLine ?? run?.Id.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? deployment.Handle,
                    };
                    _deployments[deployment.Name] = registered;
                    await records.SaveDeploymentAsync(registered, cancellationToken);
                    _backoff.TryRemove((deployment.Batch, deployment.Rank), out _);
                    if (_registration.Remove(deployment.Name, out var waiter)) waiter.TrySetResult(null);
                    break;
                case DeploymentState.Deploying:
                    var timeout = providers.Find(deployment.Provider)?.DeployTimeout ?? options.DeployTimeout;
                    if (now - deployment.Created < timeout) break;
                    if (!_givenUp.Add(deployment.Name)) break;
                    var reason = $"its worker did not register within {Durations.Format(timeout)}";
                    if (_registration.Remove(deployment.Name, out var pending)) pending.TrySetResult(reason);
                    // Asked for by a server that has stopped since: nothing waits for it here, so give it back.
                    else await StartDestroyAsync(deployment, reason, now, cancellationToken);
                    break;
                case DeploymentState.Running when worker is null || !worker.Status.IsConnected():
                    await StartDestroyAsync(deployment, $"its worker {(worker is null ? "is gone" : Enums.Name(worker.Status))}", now, cancellationToken);
                    break;
                case DeploymentState.Destroying when worker is null || !worker.Status.IsConnected():
                    if (_stopped.Remove(deployment.Name, out var stopped)) stopped.TrySetResult();
                    break;
            }
        }
    }

    private async Task RecycleAsync(RecycleWorker move, IReadOnlyDictionary<string, long> waiting, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var (worker, recruiter) = move;
        var job = new JobRecord
        {
            Id = Ids.New(), Action = JobAction.Recycle, Target = worker.Name, Provider = worker.Provider ?? "none", Batch = recruiter.Batch,
            Status = JobState.Running, Created = now, Started = now,
        };
        var settings = new Contracts.WorkerSettings
        {
            Batch = recruiter.Batch, Concurrency = recruiter.WorkerConcurrency, Prefetch = recruiter.WorkerPrefetch,
            PrefetchAuto = recruiter.WorkerPrefetch is null ? true : null,
        };
        var moved = await store.UpdateWorkerAsync(worker.Id, settings, drain: false, cancellationToken);
        var log = $"moved {worker.Name} from batch {worker.Batch} (nothing waiting) to batch {recruiter.Batch} ({waiting.GetValueOrDefault(recruiter.Batch)} waiting), " +
            $"concurrency {recruiter.WorkerConcurrency}, prefetch {recruiter.WorkerPrefetch?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "auto"}\n";
        await records.SaveJobAsync(moved is null
            ? job with { Status = JobState.Failed, Ended = now, Reason = "the worker is gone", Log = log }
            : job with { Status = JobState.Succeeded, Ended = now, Log = log }, cancellationToken);
        if (moved is null) return;
        _idle.Restart(worker.Id, now);
        var deployment = _deployments.Values.FirstOrDefault(d => d.WorkerId == worker.Id);
        if (deployment is not null)
        {
            var updated = deployment with { Batch = recruiter.Batch, Rank = recruiter.Rank, Concurrency = recruiter.WorkerConcurrency, Prefetch = recruiter.WorkerPrefetch };
            _deployments[deployment.Name] = updated;
            await records.SaveDeploymentAsync(updated, cancellationToken);
        }
        Log.Recycled(logger, worker.Name, worker.Batch ?? "", recruiter.Batch);
    }

    /// <summary>Runs a job's work in the background, keeping hold of it so that the server's stop waits a moment for it.</summary>
    private void Run(Func<Task> job) => _jobs.Add(Task.Run(job, CancellationToken.None));
}
