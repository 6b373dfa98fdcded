using Drover.Json;
using Drover.Model;
using Drover.Recruiting;
using Drover.Validation;

namespace Drover.Server.Recruiting;

/// <summary>The deploy and destroy jobs: each runs in the background, owns its job record, and reports its end to the loop.</summary>
public sealed partial class Recruitment
{
    /// <summary>How long a destroy waits for its worker to drain before giving it back anyway.</summary>
    private static readonly TimeSpan DrainPatience = TimeSpan.FromMinutes(1);
    private const int DestroyRetries = 2;

    private async Task StartDeployAsync(RecruiterRecord recruiter, IWorkerProvider provider, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var flavor = FlavorChoice.Pick(recruiter.Flavor, provider.Flavors, out var flavorError);
        var name = $"{NamePart(recruiter.Batch)}-{provider.Name}-{Guid.NewGuid().ToString("N")[..6]}";
        var job = new JobRecord
        {
            Id = Ids.New(), Action = JobAction.Deploy, Target = name, Provider = provider.Name, Batch = recruiter.Batch,
            Status = JobState.Running, Created = now, Started = now,
        };
        var deployment = new DeploymentRecord
        {
            Name = name, Provider = provider.Name, Flavor = flavor?.Name, Region = flavor?.Region, Host = provider.ChooseHost([.. _deployments.Values]),
            Batch = recruiter.Batch, Rank = recruiter.Rank, Concurrency = recruiter.WorkerConcurrency, Prefetch = recruiter.WorkerPrefetch,
            Status = DeploymentState.Deploying, Job = job.Id, Created = now,
        };
        _deployments[name] = deployment;
        var registration = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);
        _registration[name] = registration;
        await records.SaveDeploymentAsync(deployment, cancellationToken);
        await records.SaveJobAsync(job, cancellationToken);
        Log.Deploying(logger, name, provider.Name, recruiter.Batch);
        Run(() => DeployAsync(job, deployment, provider, flavor is null ? $"flavor {recruiter.Flavor} {flavorError}" : null, registration.Task));
    }

    private async Task DeployAsync(JobRecord job, DeploymentRecord deployment, IWorkerProvider provider, string? refusal, Task<string?> registered)
    {
        var log = new JobLog();
        log.Line($"deploying worker {deployment.Name} for batch {deployment.Batch} (recruiter rank {deployment.Rank}) through {provider.Name}" +
            (deployment.Flavor is null ? "" : $", flavor {deployment.Flavor}") + (deployment.Host is null ? "" : $", on {deployment.Host}"));
        ProviderProcess? run = null;
        string? failure = refusal;
        try
        {
            if (failure is null)
            {
                run = provider.Deploy(new WorkerLaunch(deployment, address.ForWorkers!, tokens.For(deployment.Name)), log);
                _runs[deployment.Name] = run;
                failure = await AwaitRegistrationAsync(run, provider, registered, log);
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            return; // the server stops: the job is marked failed at its next start, and its worker reconciled
        }
        catch (Exception ex)
        {
            // Whatever went wrong, the job ends and says so: a deploy never hangs on as "deploying".
            failure = $"could not start the deploy: {ex.Message}";
        }
        if (failure is not null)
        {
            log.Line($"failed: {failure}");
            // Whatever the deploy may have started, give it back rather than leave it running unseen; a
            // deploy command that failed started nothing.
            var startedNothing = run is null || (!provider.DeployIsWorker && run.HasExited && run.Exited.Result != 0);
            if (!startedNothing)
            {
                try
                {
                    if (await provider.DestroyAsync(deployment with { Handle = run?.FirstLine }, run, log, _stopping) is { } cleanup) log.Line($"cleaning up failed too: {cleanup}");
                }
                catch (OperationCanceledException)
                {
                }
            }
            _runs.TryRemove(deployment.Name, out _);
        }
        else
        {
            log.Line("its worker registered");
        }
        log.Close();
        await SaveQuietlyAsync(job with
        {
            Status = failure is null ? JobState.Succeeded : JobState.Failed, Ended = time.GetUtcNow(), Reason = failure, Log = log.ToString(),
        });
        if (failure is not null)
        {
            _outcomes.Enqueue((deployment.Name, failure));
            _wake.Pulse();
        }
    }

    /// <returns>Null once the worker registered; otherwise why the deploy failed.</returns>
    private async Task<string?> AwaitRegistrationAsync(ProviderProcess run, IWorkerProvider provider, Task<string?> registered, JobLog log)
    {
        var first = await Task.WhenAny(registered, run.Exited);
        if (first == registered) return await registered;
        var code = await run.Exited;
        if (provider.DeployIsWorker) return $"the worker exited with code {code} before it registered";
        if (code != 0) return $"the deploy command exited with code {code}";
        log.Line("the deploy command ended (exit 0); waiting for its worker to register");
        return await registered;
    }

    private async Task StartDestroyAsync(DeploymentRecord deployment, string why, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var provider = providers.Find(deployment.Provider);
        var destroying = deployment with { Status = DeploymentState.Destroying };
        _deployments[deployment.Name] = destroying;
        var stopped = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _stopped[deployment.Name] = stopped;
        _registration.Remove(deployment.Name);
        var job = new JobRecord
        {
            Id = Ids.New(), Action = JobAction.Destroy, Target = deployment.Name, Provider = deployment.Provider, Batch = deployment.Batch,
            Status = JobState.Running, Created = now, Started = now,
        };
        await records.SaveDeploymentAsync(destroying, cancellationToken);
        await records.SaveJobAsync(job, cancellationToken);
        Log.Destroying(logger, deployment.Name, why);
        Run(() => DestroyAsync(job, destroying, provider, why, stopped.Task));
    }

    private async Task DestroyAsync(JobRecord job, DeploymentRecord deployment, IWorkerProvider? provider, string why, Task stopped)
    {
        var log = new JobLog();
        log.Line($"giving back worker {deployment.Name}: {why}");
        string? failure = null;
        var retry = 0;
        try
        {
            if (deployment.WorkerId is { } workerId && !stopped.IsCompleted)
            {
                // Drained first: it takes nothing new, finishes what it holds, and exits by itself.
                await store.UpdateWorkerAsync(workerId, new Contracts.WorkerSettings(), drain: true, _stopping);
                log.Line("asked the worker to drain");
                try
                {
                    await stopped.WaitAsync(DrainPatience, time, _stopping);
                    log.Line("the worker stopped");
                }
                catch (TimeoutException)
                {
                    log.Line($"the worker did not stop within {Durations.Format(DrainPatience)}; giving it back anyway");
                }
            }
            if (provider is null)
            {
                failure = $"provider {deployment.Provider} is no longer configured; give the worker back by hand";
            }
            else
            {
                _runs.TryRemove(deployment.Name, out var run);
                for (; ; retry++)
                {
                    failure = await provider.DestroyAsync(deployment, run, log, _stopping);
                    if (failure is null || retry == DestroyRetries) break;
                    log.Line($"failed ({failure}); trying again");
                    run = null;
                    await Task.Delay(_retries.Delay(retry), time, _stopping);
                }
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            return; // the server stops: the job is marked failed at its next start, and the destroy taken up again
        }
        catch (Exception ex)
        {
            failure = $"{ex.GetType().Name}: {ex.Message}";
        }
        log.Close();
        await SaveQuietlyAsync(job with
        {
            Status = failure is null ? JobState.Succeeded : JobState.Failed, Ended = time.GetUtcNow(), Reason = failure, Retry = retry, Log = log.ToString(),
        });
        _outcomes.Enqueue((deployment.Name, null));
        _wake.Pulse();
    }

    private async Task SaveQuietlyAsync(JobRecord job)
    {
        try
        {
            await records.SaveJobAsync(job, CancellationToken.None);
        }
        catch (Exception ex)
        {
            Log.JobNotSaved(logger, job.Id, ex);
        }
    }

    /// <summary>A batch name as part of a worker's name: letters, digits, dashes, dots and underscores, at most 40.</summary>
    private static string NamePart(string batch)
    {
        var part = new string([.. batch.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '-')]);
        return part.Length > 40 ? part[..40] : part;
    }
}
