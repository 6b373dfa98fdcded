using Drover.Model;

namespace Drover.Recruiting;

/// <summary>Move an idle worker to the recruiter's batch, with the recruiter's concurrency and prefetch.</summary>
public sealed record RecycleWorker(WorkerRecord Worker, RecruiterRecord Recruiter);

/// <summary>Ask the recruiter's provider for this many new workers.</summary>
public sealed record DeployWorkers(RecruiterRecord Recruiter, int Count);

/// <summary>What the recruitment loop sees at one look.</summary>
public sealed record RecruitmentView
{
    /// <summary>Every recruiter, by batch then rank.</summary>
    public required IReadOnlyList<RecruiterRecord> Recruiters { get; init; }
    /// <summary>Ready tasks (queued) per batch.</summary>
    public required IReadOnlyDictionary<string, long> Waiting { get; init; }
    /// <summary>Tasks waiting for their requirements (pending) per batch: not work to recruit for, but work to keep workers for.</summary>
    public IReadOnlyDictionary<string, long> Pending { get; init; } = new Dictionary<string, long>();
    /// <summary>Every worker, with <see cref="WorkerRecord.Provider"/> set on those a provider started.</summary>
    public required IReadOnlyList<WorkerRecord> Workers { get; init; }
    /// <summary>Workers asked of a provider that have not registered yet.</summary>
    public required IReadOnlyList<DeploymentRecord> Deploying { get; init; }
}

/// <summary>
/// The recruitment rules, as pure decisions (the loop carries them out): for each batch, recruiters in
/// rank order; a recruiter does nothing while fewer than <c>minimum_tasks</c> wait or the batch
/// already has <c>maximum_workers</c>; otherwise the batch needs <c>ceil(waiting / tasks_per_worker)</c>
/// workers, capped at <c>maximum_workers</c>. Idle workers of other batches with nothing waiting are
/// moved over first, new ones deployed for the rest. Separately, workers a provider started that sit
/// idle while their batch has nothing waiting are given back.
/// </summary>
public static class RecruitmentPlan
{
    public static (List<RecycleWorker> Recycle, List<DeployWorkers> Deploy) Decide(RecruitmentView view, Func<RecruiterRecord, bool> mayDeploy)
    {
        var recycle = new List<RecycleWorker>();
        var deploy = new List<DeployWorkers>();
        // A worker that serves every batch already serves this one: only dedicated workers count.
        var counts = view.Workers.Where(Serving).Where(w => w.Batch is not null)
            .Concat<object>(view.Deploying)
            .GroupBy(BatchOf, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        var claimed = new HashSet<Guid>();
        foreach (var recruiter in view.Recruiters)
        {
            var waiting = view.Waiting.GetValueOrDefault(recruiter.Batch);
            var count = counts.GetValueOrDefault(recruiter.Batch);
            if (waiting == 0 || waiting < recruiter.MinimumTasks || count >= recruiter.MaximumWorkers) continue;
            var needed = (int)Math.Min(recruiter.MaximumWorkers, (waiting + recruiter.TasksPerWorker - 1) / recruiter.TasksPerWorker);
            var missing = needed - count;
            if (missing <= 0) continue;
            foreach (var worker in view.Workers.Where(w => !claimed.Contains(w.Id) && IsRecyclableTo(w, recruiter.Batch, view.Waiting)).Take(missing))
            {
                claimed.Add(worker.Id);
                recycle.Add(new RecycleWorker(worker, recruiter));
                counts[worker.Batch!] = counts.GetValueOrDefault(worker.Batch!) - 1;
                missing--;
            }
            if (missing > 0 && mayDeploy(recruiter))
            {
                deploy.Add(new DeployWorkers(recruiter, missing));
                missing = 0;
            }
            counts[recruiter.Batch] = needed - missing;
        }
        return (recycle, deploy);
    }

    /// <summary>
    /// A provider's workers to give back: idle (holding nothing) for longer than <paramref name="idleTimeout"/>,
    /// or <paramref name="firstTaskTimeout"/> for one that never had work, while their batch has nothing waiting
    /// (neither ready nor pending on requirements: a DAG's next stage keeps its workers).
    /// Workers started by hand are never given back.
    /// </summary>
    public static List<WorkerRecord> IdleToGiveBack(RecruitmentView view, IdleClock clock, DateTimeOffset now, TimeSpan idleTimeout, TimeSpan firstTaskTimeout)
    {
        var anyWaiting = view.Waiting.Values.Any(n => n > 0) || view.Pending.Values.Any(n => n > 0);
        return [.. view.Workers.Where(w =>
        {
            if (w.Provider is null || w.Status != WorkerState.Running || w.Paused || w.Drain || w.Running > 0) return false;
            if (w.Batch is null ? anyWaiting : view.Waiting.GetValueOrDefault(w.Batch) + view.Pending.GetValueOrDefault(w.Batch) > 0) return false;
            var (idle, worked) = clock.Of(w.Id, now);
            return idle >= (worked ? idleTimeout : firstTaskTimeout);
        })];
    }

    private static bool Serving(WorkerRecord worker) => worker.Status is WorkerState.Running or WorkerState.Paused && !worker.Drain;

    private static string BatchOf(object item) => item is WorkerRecord w ? w.Batch! : ((DeploymentRecord)item).Batch;

    /// <summary>Idle, dedicated to another batch that has nothing waiting, and allowed to move (a provider's, or started with --recyclable).</summary>
    private static bool IsRecyclableTo(WorkerRecord worker, string batch, IReadOnlyDictionary<string, long> waiting) =>
        (worker.Recyclable || worker.Provider is not null)
        && worker.Status == WorkerState.Running && !worker.Paused && !worker.Drain && worker.Running == 0
        && worker.Batch is { } from && from != batch && waiting.GetValueOrDefault(from) == 0;
}
