using Drover.Model;

namespace Drover.Storage;

/// <summary>
/// Recruiters, jobs and the workers providers started, kept in the task database beside the tasks
/// (every backend; <c>--store none</c> keeps them in memory). Records are written whole: the
/// recruitment loop owns them and saves each change.
/// </summary>
public interface IRecruitmentStore
{
    /// <summary>Creates the recruiter, or replaces the one with its batch and rank; true when it was new.</summary>
    Task<bool> PutRecruiterAsync(RecruiterRecord recruiter, CancellationToken cancellationToken);

    /// <summary>Every recruiter, by batch then rank.</summary>
    Task<IReadOnlyList<RecruiterRecord>> ListRecruitersAsync(CancellationToken cancellationToken);

    /// <summary>Deletes one recruiter (a rank), or all of a batch's (rank null); returns how many.</summary>
    Task<int> DeleteRecruitersAsync(string batch, int? rank, CancellationToken cancellationToken);

    /// <summary>Creates or replaces the job with its id.</summary>
    Task SaveJobAsync(JobRecord job, CancellationToken cancellationToken);

    Task<JobRecord?> GetJobAsync(Guid id, CancellationToken cancellationToken);

    /// <summary>Jobs newest first, only those in <paramref name="status"/> when given.</summary>
    Task<IReadOnlyList<JobRecord>> ListJobsAsync(JobState? status, int limit, CancellationToken cancellationToken);

    /// <summary>Deletes the ended jobs, and the deployments no longer live, made before <paramref name="before"/> (<c>--keep-finished</c>); returns how many jobs.</summary>
    Task<int> PurgeJobsAsync(DateTimeOffset before, CancellationToken cancellationToken);

    /// <summary>Creates or replaces the deployment with its name.</summary>
    Task SaveDeploymentAsync(DeploymentRecord deployment, CancellationToken cancellationToken);

    /// <summary>The deployments still live (deploying, running, destroying), oldest first.</summary>
    Task<IReadOnlyList<DeploymentRecord>> ListLiveDeploymentsAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Whether this server is the one that recruits. Servers sharing a PostgreSQL database elect one
    /// (an advisory lock held by its session, taken over when that server goes); alone, always true.
    /// </summary>
    Task<bool> LeadsRecruitingAsync(CancellationToken cancellationToken);
}
