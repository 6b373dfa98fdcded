using Drover.Model;

namespace Drover.Storage.Memory;

/// <summary>Recruiters, jobs and deployments, kept in memory (also by <c>--store none</c>: they are not tasks).</summary>
public sealed partial class MemoryTaskStore
{
    private readonly Lock _recruitmentGate = new();
    private readonly SortedDictionary<(string Batch, int Rank), RecruiterRecord> _recruiters = new(RecruiterOrder.Instance);
    private readonly Dictionary<Guid, JobRecord> _jobs = [];
    private readonly Dictionary<string, DeploymentRecord> _deployments = new(StringComparer.Ordinal);

    public Task<bool> PutRecruiterAsync(RecruiterRecord recruiter, CancellationToken cancellationToken)
    {
        lock (_recruitmentGate)
        {
            var key = (recruiter.Batch, recruiter.Rank);
            var created = !_recruiters.TryGetValue(key, out var existing);
            _recruiters[key] = created ? recruiter : recruiter with { Created = existing!.Created };
            return Task.FromResult(created);
        }
    }

    public Task<IReadOnlyList<RecruiterRecord>> ListRecruitersAsync(CancellationToken cancellationToken)
    {
        lock (_recruitmentGate) return Task.FromResult<IReadOnlyList<RecruiterRecord>>([.. _recruiters.Values]);
    }

    public Task<int> DeleteRecruitersAsync(string batch, int? rank, CancellationToken cancellationToken)
    {
        lock (_recruitmentGate)
        {
            var doomed = _recruiters.Keys.Where(k => k.Batch == batch && (rank is null || k.Rank == rank)).ToList();
            doomed.ForEach(k => _recruiters.Remove(k));
            return Task.FromResult(doomed.Count);
        }
    }

    public Task SaveJobAsync(JobRecord job, CancellationToken cancellationToken)
    {
        lock (_recruitmentGate) _jobs[job.Id] = job;
        return Task.CompletedTask;
    }

    public Task<JobRecord?> GetJobAsync(Guid id, CancellationToken cancellationToken)
    {
        lock (_recruitmentGate) return Task.FromResult(_jobs.GetValueOrDefault(id));
    }

    public Task<IReadOnlyList<JobRecord>> ListJobsAsync(JobState? status, int limit, CancellationToken cancellationToken)
    {
        lock (_recruitmentGate)
        {
            return Task.FromResult<IReadOnlyList<JobRecord>>([.. _jobs.Values
                .Where(j => status is null || j.Status == status)
                .OrderByDescending(j => j.Created).ThenByDescending(j => j.Id)
                .Take(limit)]);
        }
    }

    public Task<int> PurgeJobsAsync(DateTimeOffset before, CancellationToken cancellationToken)
    {
        lock (_recruitmentGate)
        {
            var jobs = _jobs.Values.Where(j => JobRecord.IsEnded(j.Status) && j.Created < before).Select(j => j.Id).ToList();
            jobs.ForEach(id => _jobs.Remove(id));
            foreach (var name in _deployments.Values.Where(d => !d.IsLive && d.Created < before).Select(d => d.Name).ToList()) _deployments.Remove(name);
            return Task.FromResult(jobs.Count);
        }
    }

    public Task SaveDeploymentAsync(DeploymentRecord deployment, CancellationToken cancellationToken)
    {
        lock (_recruitmentGate) _deployments[deployment.Name] = deployment;
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<DeploymentRecord>> ListLiveDeploymentsAsync(CancellationToken cancellationToken)
    {
        lock (_recruitmentGate)
        {
            return Task.FromResult<IReadOnlyList<DeploymentRecord>>([.. _deployments.Values.Where(d => d.IsLive)
                .OrderBy(d => d.Created).ThenBy(d => d.Name, StringComparer.Ordinal)]);
        }
    }

    public Task<bool> LeadsRecruitingAsync(CancellationToken cancellationToken) => Task.FromResult(true);

    private sealed class RecruiterOrder : IComparer<(string Batch, int Rank)>
    {
        public static readonly RecruiterOrder Instance = new();

        public int Compare((string Batch, int Rank) x, (string Batch, int Rank) y)
        {
            var byBatch = string.CompareOrdinal(x.Batch, y.Batch);
            return byBatch != 0 ? byBatch : x.Rank.CompareTo(y.Rank);
        }
    }
}
