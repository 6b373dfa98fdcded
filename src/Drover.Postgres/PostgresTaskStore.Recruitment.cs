using Drover.Json;
using Drover.Model;
using Npgsql;

namespace Drover.Postgres;

/// <summary>
/// Recruiters, jobs and deployments: small tables of JSON documents, each write one statement. One
/// of the servers sharing the database recruits: the one whose session holds an advisory lock.
/// </summary>
public sealed partial class PostgresTaskStore
{
    private readonly RecruitingLead _lead = new();

    public async Task<bool> PutRecruiterAsync(RecruiterRecord recruiter, CancellationToken cancellationToken)
    {
        // xmax = 0 tells an inserted row from an updated one; the first creation time is kept.
        await using var command = Command(
            "INSERT INTO recruiters AS r (batch, rank, doc) VALUES ($1, $2, $3) ON CONFLICT (batch, rank) " +
            "DO UPDATE SET doc = coalesce(jsonb_set($3::jsonb, '{created}', r.doc::jsonb -> 'created'), $3::jsonb)::text RETURNING xmax = 0",
            recruiter.Batch, recruiter.Rank, PgRows.JsonText(recruiter));
        return (bool)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    public Task<IReadOnlyList<RecruiterRecord>> ListRecruitersAsync(CancellationToken cancellationToken) =>
        DocumentsAsync<RecruiterRecord>("SELECT doc FROM recruiters ORDER BY batch, rank", cancellationToken);

    public async Task<int> DeleteRecruitersAsync(string batch, int? rank, CancellationToken cancellationToken)
    {
        await using var command = Command("DELETE FROM recruiters WHERE batch = $1 AND ($2::integer IS NULL OR rank = $2)", batch, rank);
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task SaveJobAsync(JobRecord job, CancellationToken cancellationToken)
    {
        await using var command = Command(
            "INSERT INTO jobs (id, created, status, doc) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO UPDATE SET status = $3, doc = $4",
            job.Id, job.Created, Enums.Name(job.Status), PgRows.JsonText(job));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<JobRecord?> GetJobAsync(Guid id, CancellationToken cancellationToken) =>
        (await DocumentsAsync<JobRecord>("SELECT doc FROM jobs WHERE id = $1", cancellationToken, id)).FirstOrDefault();

    public Task<IReadOnlyList<JobRecord>> ListJobsAsync(JobState? status, int limit, CancellationToken cancellationToken) =>
        DocumentsAsync<JobRecord>("SELECT doc FROM jobs WHERE ($1::text IS NULL OR status = $1) ORDER BY created DESC, id DESC LIMIT $2",
            cancellationToken, status is { } s ? Enums.Name(s) : null, limit);

    public async Task<int> PurgeJobsAsync(DateTimeOffset before, CancellationToken cancellationToken)
    {
        await using (var deployments = Command("DELETE FROM deployments WHERE NOT live AND created < $1", before))
            await deployments.ExecuteNonQueryAsync(cancellationToken);
        await using var jobs = Command("DELETE FROM jobs WHERE status IN ('succeeded', 'failed') AND created < $1", before);
        return await jobs.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task SaveDeploymentAsync(DeploymentRecord deployment, CancellationToken cancellationToken)
    {
        await using var command = Command(
            "INSERT INTO deployments (name, live, created, doc) VALUES ($1, $2, $3, $4) ON CONFLICT (name) DO UPDATE SET live = $2, doc = $4",
            deployment.Name, deployment.IsLive, deployment.Created, PgRows.JsonText(deployment));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public Task<IReadOnlyList<DeploymentRecord>> ListLiveDeploymentsAsync(CancellationToken cancellationToken) =>
        DocumentsAsync<DeploymentRecord>("SELECT doc FROM deployments WHERE live ORDER BY created, name", cancellationToken);

    public Task<bool> LeadsRecruitingAsync(CancellationToken cancellationToken) => _lead.HoldAsync(_dataSource, cancellationToken);

    private NpgsqlCommand Command(string sql, params object?[] values)
    {
        var command = _dataSource.CreateCommand(sql);
        foreach (var value in values) command.Parameters.Add(PgRows.Parameter(value));
        return command;
    }

    private async Task<IReadOnlyList<T>> DocumentsAsync<T>(string sql, CancellationToken cancellationToken, params object?[] values)
    {
        await using var command = Command(sql, values);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var rows = new List<T>();
        while (await reader.ReadAsync(cancellationToken)) rows.Add(PgRows.FromJson<T>(reader.GetString(0))!);
        return rows;
    }

    /// <summary>
    /// A session-level advisory lock on a connection of its own: held while the connection lives, so
    /// when the leading server stops or dies, PostgreSQL releases it and another server takes it.
    /// </summary>
    private sealed class RecruitingLead : IAsyncDisposable
    {
        private const long LockKey = 0x4452_4f56_5245; // "DROVRE"
        private readonly SemaphoreSlim _gate = new(1, 1);
        private NpgsqlConnection? _connection;

        public async Task<bool> HoldAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
        {
            await _gate.WaitAsync(cancellationToken);
            try
            {
                if (_connection is not null)
                {
                    // Still ours if the session is alive.
                    try
                    {
                        await using var ping = new NpgsqlCommand("SELECT 1", _connection);
                        await ping.ExecuteScalarAsync(cancellationToken);
                        return true;
                    }
                    catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException)
                    {
                        await _connection.DisposeAsync();
                        _connection = null;
                    }
                }
                var connection = await dataSource.OpenConnectionAsync(cancellationToken);
                await using var take = new NpgsqlCommand($"SELECT pg_try_advisory_lock({LockKey})", connection);
                if ((bool)(await take.ExecuteScalarAsync(cancellationToken))!)
                {
                    _connection = connection;
                    return true;
                }
                await connection.DisposeAsync();
                return false;
            }
            finally
            {
                _gate.Release();
            }
        }

        public async ValueTask DisposeAsync()
        {
            if (_connection is not null) await _connection.DisposeAsync();
        }
    }
}
