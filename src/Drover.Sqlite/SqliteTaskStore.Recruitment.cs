using Drover.Json;
using Drover.Model;
using Drover.Storage;

namespace Drover.Sqlite;

/// <summary>Recruiters, jobs and deployments: small tables of JSON documents, written through the one writer.</summary>
public sealed partial class SqliteTaskStore
{
    public Task<bool> PutRecruiterAsync(RecruiterRecord recruiter, CancellationToken cancellationToken) =>
        _writer.WriteAsync(context =>
        {
            var existing = context.Query("SELECT doc FROM recruiters WHERE batch = $batch AND rank = $rank",
                r => SqliteValues.FromJson<RecruiterRecord>(r.GetString(0))!, ("$batch", recruiter.Batch), ("$rank", recruiter.Rank));
            var kept = existing is [var old] ? recruiter with { Created = old.Created } : recruiter;
            context.Execute("INSERT INTO recruiters (batch, rank, doc) VALUES ($batch, $rank, $doc) ON CONFLICT (batch, rank) DO UPDATE SET doc = $doc",
                ("$batch", recruiter.Batch), ("$rank", recruiter.Rank), ("$doc", SqliteValues.JsonText(kept)!));
            return existing.Count == 0;
        }, cancellationToken);

    public Task<IReadOnlyList<RecruiterRecord>> ListRecruitersAsync(CancellationToken cancellationToken) =>
        _reader.QueryAsync("SELECT doc FROM recruiters ORDER BY batch, rank", r => SqliteValues.FromJson<RecruiterRecord>(r.GetString(0))!, cancellationToken);

    public Task<int> DeleteRecruitersAsync(string batch, int? rank, CancellationToken cancellationToken) =>
        _writer.WriteAsync(context => context.QueryOnce("DELETE FROM recruiters WHERE batch = $batch AND ($rank IS NULL OR rank = $rank) RETURNING rank",
            r => r.GetInt32(0), [("$batch", batch), ("$rank", SqliteValues.Number(rank))]).Count, cancellationToken);

    public Task SaveJobAsync(JobRecord job, CancellationToken cancellationToken) =>
        _writer.WriteAsync(context =>
        {
            context.Execute("INSERT INTO jobs (id, created, status, doc) VALUES ($id, $created, $status, $doc) " +
                "ON CONFLICT (id) DO UPDATE SET status = $status, doc = $doc",
                ("$id", job.Id.ToString()), ("$created", SqliteValues.Time(job.Created)), ("$status", Enums.Name(job.Status)),
                ("$doc", SqliteValues.JsonText(job)!));
            return true;
        }, cancellationToken);

    public async Task<JobRecord?> GetJobAsync(Guid id, CancellationToken cancellationToken) =>
        (await _reader.QueryAsync("SELECT doc FROM jobs WHERE id = $id", r => SqliteValues.FromJson<JobRecord>(r.GetString(0))!,
            cancellationToken, ("$id", id.ToString()))).FirstOrDefault();

    public Task<IReadOnlyList<JobRecord>> ListJobsAsync(JobState? status, int limit, CancellationToken cancellationToken) =>
        _reader.QueryAsync("SELECT doc FROM jobs WHERE ($status IS NULL OR status = $status) ORDER BY created DESC, id DESC LIMIT $limit",
            r => SqliteValues.FromJson<JobRecord>(r.GetString(0))!, cancellationToken,
            ("$status", SqliteValues.TextOrNull(status is { } s ? Enums.Name(s) : null)), ("$limit", limit));

    public Task<int> PurgeJobsAsync(DateTimeOffset before, CancellationToken cancellationToken) =>
        _writer.WriteAsync(context =>
        {
            var cutoff = SqliteValues.Time(before);
            context.Execute("DELETE FROM deployments WHERE live = 0 AND created < $before", ("$before", cutoff));
            return context.QueryOnce("DELETE FROM jobs WHERE status IN ('succeeded', 'failed') AND created < $before RETURNING id",
                r => r.GetString(0), [("$before", cutoff)]).Count;
        }, cancellationToken);

    public Task SaveDeploymentAsync(DeploymentRecord deployment, CancellationToken cancellationToken) =>
        _writer.WriteAsync(context =>
        {
            context.Execute("INSERT INTO deployments (name, live, created, doc) VALUES ($name, $live, $created, $doc) " +
                "ON CONFLICT (name) DO UPDATE SET live = $live, doc = $doc",
                ("$name", deployment.Name), ("$live", deployment.IsLive ? 1 : 0), ("$created", SqliteValues.Time(deployment.Created)),
                ("$doc", SqliteValues.JsonText(deployment)!));
            return true;
        }, cancellationToken);

    public Task<IReadOnlyList<DeploymentRecord>> ListLiveDeploymentsAsync(CancellationToken cancellationToken) =>
        _reader.QueryAsync("SELECT doc FROM deployments WHERE live = 1 ORDER BY created, name",
            r => SqliteValues.FromJson<DeploymentRecord>(r.GetString(0))!, cancellationToken);

    /// <summary>One server owns a SQLite database (the data directory's lock sees to it).</summary>
    public Task<bool> LeadsRecruitingAsync(CancellationToken cancellationToken) => Task.FromResult(true);
}
