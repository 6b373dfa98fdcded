using Drover.Contracts;
using Drover.Model;

namespace Drover.Client;

/// <summary>Recruiters, flavors and jobs (<c>/api/recruiters</c>, <c>/api/flavors</c>, <c>/api/jobs</c>).</summary>
public sealed partial class DroverClient
{
    /// <summary>Creates a batch's recruiter at its rank, or replaces the one there.</summary>
    public async Task<RecruiterRecord> PutRecruiterAsync(RecruiterSpec recruiter, CancellationToken cancellationToken) =>
        (await _sender.SendAsync<RecruiterRecord>(HttpMethod.Post, "api/recruiters", recruiter, CallKind.Write, cancellationToken))!;

    public async Task<IReadOnlyList<RecruiterRecord>> ListRecruitersAsync(CancellationToken cancellationToken) =>
        (await _sender.SendAsync<List<RecruiterRecord>>(HttpMethod.Get, "api/recruiters", null, CallKind.Read, cancellationToken))!;

    public async Task<RecruiterRecord> UpdateRecruiterAsync(string batch, int rank, RecruiterSpec changes, CancellationToken cancellationToken) =>
        (await _sender.SendAsync<RecruiterRecord>(HttpMethod.Patch, RecruiterPath(batch, rank), changes, CallKind.Write, cancellationToken))!;

    public async Task DeleteRecruiterAsync(string batch, int rank, CancellationToken cancellationToken) =>
        await _sender.SendAsync<System.Text.Json.JsonElement>(HttpMethod.Delete, RecruiterPath(batch, rank), null, CallKind.Write, cancellationToken);

    public async Task<IReadOnlyList<Flavor>> ListFlavorsAsync(CancellationToken cancellationToken) =>
        (await _sender.SendAsync<List<Flavor>>(HttpMethod.Get, "api/flavors", null, CallKind.Read, cancellationToken))!;

    /// <summary>Deploys, destroys and recycles, newest first.</summary>
    public async Task<IReadOnlyList<JobRecord>> ListJobsAsync(JobState? status, int limit, CancellationToken cancellationToken) =>
        (await _sender.SendAsync<List<JobRecord>>(HttpMethod.Get,
            $"api/jobs?limit={limit}" + (status is { } s ? "&status=" + Json.Enums.Name(s) : ""), null, CallKind.Read, cancellationToken))!;

    public Task<JobRecord?> GetJobAsync(Guid id, CancellationToken cancellationToken) => GetOrNullAsync<JobRecord>($"api/jobs/{id}", cancellationToken);

    private static string RecruiterPath(string batch, int rank) => $"api/recruiters/{Uri.EscapeDataString(batch)}/{rank}";
}
