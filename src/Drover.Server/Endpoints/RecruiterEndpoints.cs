using Drover.Contracts;
using Drover.Json;
using Drover.Model;
using Drover.Recruiting;
using Drover.Server.Auth;
using Drover.Server.Http;
using Drover.Server.Recruiting;
using Drover.Storage;
using Drover.Validation;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Drover.Server.Endpoints;

/// <summary>Recruiters (per batch, ranked), the flavors providers offer, and the jobs recruitment runs.</summary>
public static class RecruiterEndpoints
{
    public const int MaxJobs = 1000;

    public static void MapRecruiterEndpoints(this IEndpointRouteBuilder app)
    {
        var recruiters = app.MapGroup("/api/recruiters").RequireAuthorization(Roles.AdminPolicy).WithTags("recruiters");
        recruiters.MapPost("/", CreateAsync).Audit("recruiter.put").Accepts<RecruiterSpec>("application/json")
            .Produces<RecruiterRecord>(StatusCodes.Status201Created).Produces<RecruiterRecord>().ProducesValidationProblem()
            .WithSummary("Create a batch's recruiter at a rank (default 1, provider local), or replace the one at that rank");
        recruiters.MapGet("/", ListAsync).Produces<RecruiterRecord[]>().WithSummary("Every recruiter, by batch and rank, with its deploy backoff");
        recruiters.MapGet("/{batch}/{rank}", GetAsync).Produces<RecruiterRecord>().ProducesProblem(StatusCodes.Status404NotFound).WithSummary("One recruiter");
        recruiters.MapPatch("/{batch}/{rank}", UpdateAsync).Audit("recruiter.update").Accepts<RecruiterSpec>("application/json").Produces<RecruiterRecord>()
            .ProducesValidationProblem().ProducesProblem(StatusCodes.Status404NotFound).WithSummary("Change some of a recruiter's fields");
        recruiters.MapDelete("/{batch}/{rank}", DeleteAsync).Audit("recruiter.delete").ProducesProblem(StatusCodes.Status404NotFound).WithSummary("Delete a recruiter");

        app.MapGet("/api/flavors", (ProviderRegistry providers) => Results.Ok(providers.Flavors))
            .RequireAuthorization(Roles.AdminPolicy).WithTags("recruiters").Produces<Flavor[]>()
            .WithSummary("The flavors each provider can deploy (cpus, memory, cost, region)");

        var jobs = app.MapGroup("/api/jobs").RequireAuthorization(Roles.AdminPolicy).WithTags("jobs");
        jobs.MapGet("/", ListJobsAsync).Produces<JobRecord[]>().ProducesValidationProblem()
            .WithSummary("Deploys, destroys and recycles, newest first (?status=failed&limit=100)");
        jobs.MapGet("/{id}", GetJobAsync).Produces<JobRecord>().ProducesProblem(StatusCodes.Status404NotFound).WithSummary("One job, with its log");
    }

    private static async Task<IResult> CreateAsync(HttpRequest request, IRecruitmentStore records, ProviderRegistry providers, Recruitment recruitment,
        TimeProvider time, CancellationToken cancellationToken)
    {
        var (spec, problem) = await JsonBody.ReadAsync<RecruiterSpec>(request, cancellationToken);
        if (problem is not null) return problem;
        var errors = new FieldErrors();
        if (string.IsNullOrWhiteSpace(spec!.Batch)) errors.Add("batch", "must name a batch");
        if (spec.MaximumWorkers is null) errors.Add("maximum_workers", "is required");
        if (spec.TasksPerWorker is null) errors.Add("tasks_per_worker", "is required");
        var now = time.GetUtcNow();
        var recruiter = Apply(new RecruiterRecord
        {
            Batch = spec.Batch ?? "", Rank = 1, Provider = LocalProvider.ProviderName, MaximumWorkers = 1, TasksPerWorker = 1, Created = now, Updated = now,
        }, spec);
        Check(recruiter, providers, errors);
        if (!errors.IsEmpty) return Problems.Invalid(errors);
        var created = await records.PutRecruiterAsync(recruiter, cancellationToken);
        recruitment.Wake();
        var kept = await FindAsync(records, recruiter.Batch, recruiter.Rank, cancellationToken) ?? recruiter;
        return created
            ? Results.Created($"/api/recruiters/{Uri.EscapeDataString(recruiter.Batch)}/{recruiter.Rank}", kept)
            : Results.Ok(kept);
    }

    private static async Task<IResult> ListAsync(IRecruitmentStore records, Recruitment recruitment, CancellationToken cancellationToken) =>
        Results.Ok((await records.ListRecruitersAsync(cancellationToken)).Select(r => WithBackoff(r, recruitment)).ToList());

    private static async Task<IResult> GetAsync(string batch, string rank, IRecruitmentStore records, Recruitment recruitment, CancellationToken cancellationToken)
    {
        if (!int.TryParse(rank, out var r)) return Problems.Invalid("rank", $"'{rank}' is not a whole number");
        return await FindAsync(records, batch, r, cancellationToken) is { } found
            ? Results.Ok(WithBackoff(found, recruitment))
            : NoSuchRecruiter(batch, r);
    }

    private static async Task<IResult> UpdateAsync(string batch, string rank, HttpRequest request, IRecruitmentStore records, ProviderRegistry providers,
        Recruitment recruitment, TimeProvider time, CancellationToken cancellationToken)
    {
        if (!int.TryParse(rank, out var r)) return Problems.Invalid("rank", $"'{rank}' is not a whole number");
        var (spec, problem) = await JsonBody.ReadAsync<RecruiterSpec>(request, cancellationToken);
        if (problem is not null) return problem;
        var errors = new FieldErrors();
        if (spec!.Batch is not null && spec.Batch != batch) errors.Add("batch", "cannot change: create a recruiter for the other batch");
        if (spec.Rank is not null && spec.Rank != r) errors.Add("rank", "cannot change: create a recruiter at the other rank");
        if (!errors.IsEmpty) return Problems.Invalid(errors);
        if (await FindAsync(records, batch, r, cancellationToken) is not { } existing) return NoSuchRecruiter(batch, r);
        var updated = Apply(existing, spec) with { Updated = time.GetUtcNow() };
        Check(updated, providers, errors);
        if (!errors.IsEmpty) return Problems.Invalid(errors);
        await records.PutRecruiterAsync(updated, cancellationToken);
        recruitment.Wake();
        return Results.Ok(WithBackoff(updated, recruitment));
    }

    private static async Task<IResult> DeleteAsync(string batch, string rank, IRecruitmentStore records, CancellationToken cancellationToken)
    {
        if (!int.TryParse(rank, out var r)) return Problems.Invalid("rank", $"'{rank}' is not a whole number");
        return await records.DeleteRecruitersAsync(batch, r, cancellationToken) > 0
            ? Results.Ok(new { batch, rank = r, deleted = true })
            : NoSuchRecruiter(batch, r);
    }

    private static async Task<IResult> ListJobsAsync(string? status, int? limit, IRecruitmentStore records, CancellationToken cancellationToken)
    {
        JobState? state = null;
        if (status is not null)
        {
            if (!Enums.TryParse<JobState>(status, out var parsed))
                return Problems.Invalid("status", $"must be one of {string.Join(", ", Enums.AllNames<JobState>())}, not '{status}'");
            state = parsed;
        }
        if (limit is < 1 or > MaxJobs) return Problems.Invalid("limit", $"must be from 1 to {MaxJobs}");
        return Results.Ok(await records.ListJobsAsync(state, limit ?? 100, cancellationToken));
    }

    private static async Task<IResult> GetJobAsync(string id, IRecruitmentStore records, CancellationToken cancellationToken)
    {
        if (!RouteIds.TryParse(id, out var jobId, out var problem)) return problem!;
        return await records.GetJobAsync(jobId, cancellationToken) is { } job ? Results.Ok(job) : Problems.NotFound("job", jobId);
    }

    private static RecruiterRecord Apply(RecruiterRecord recruiter, RecruiterSpec spec) => recruiter with
    {
        Batch = spec.Batch ?? recruiter.Batch,
        Rank = spec.Rank ?? recruiter.Rank,
        Provider = spec.Provider ?? recruiter.Provider,
        Flavor = spec.Flavor is null ? recruiter.Flavor : spec.Flavor.Length == 0 ? null : spec.Flavor,
        MinimumTasks = spec.MinimumTasks ?? recruiter.MinimumTasks,
        MaximumWorkers = spec.MaximumWorkers ?? recruiter.MaximumWorkers,
        TasksPerWorker = spec.TasksPerWorker ?? recruiter.TasksPerWorker,
        WorkerConcurrency = spec.WorkerConcurrency ?? recruiter.WorkerConcurrency,
        WorkerPrefetch = spec.WorkerPrefetch ?? recruiter.WorkerPrefetch,
    };

    /// <summary>Every way a recruiter can be wrong, each naming its field; the provider and flavor against this server's configuration.</summary>
    private static void Check(RecruiterRecord r, ProviderRegistry providers, FieldErrors errors)
    {
        if (r.Batch.Length > 200) errors.Add("batch", "must be at most 200 characters");
        if (r.Rank is < 0 or > 1000) errors.Add("rank", "must be from 0 to 1000");
        if (r.MinimumTasks < 0) errors.Add("minimum_tasks", "must not be negative");
        if (r.MaximumWorkers is < 1 or > 10_000) errors.Add("maximum_workers", "must be from 1 to 10000");
        if (r.TasksPerWorker is < 1 or > 1_000_000_000) errors.Add("tasks_per_worker", "must be at least 1");
        if (r.WorkerConcurrency is < 1 or > 10_000) errors.Add("worker_concurrency", "must be from 1 to 10000");
        if (r.WorkerPrefetch is < 0 or > 100_000) errors.Add("worker_prefetch", "must be from 0 to 100000");
        if (providers.Find(r.Provider) is not { } provider)
        {
            var known = string.Join(", ", providers.Names);
            errors.Add("provider", $"'{r.Provider}' is not a provider of this server ({(known.Length == 0 ? "it has none: start it with drover up or drover server, or give --providers" : known)})");
            return;
        }
        if (FlavorChoice.Pick(r.Flavor, provider.Flavors, out var flavorError) is null) errors.Add("flavor", flavorError!);
    }

    private static async Task<RecruiterRecord?> FindAsync(IRecruitmentStore records, string batch, int rank, CancellationToken cancellationToken) =>
        (await records.ListRecruitersAsync(cancellationToken)).FirstOrDefault(r => r.Batch == batch && r.Rank == rank);

    private static RecruiterRecord WithBackoff(RecruiterRecord recruiter, Recruitment recruitment)
    {
        var (failures, until) = recruitment.BackoffOf(recruiter.Batch, recruiter.Rank);
        return recruiter with { DeployFailures = failures, NextDeploy = until };
    }

    private static IResult NoSuchRecruiter(string batch, int rank) =>
        Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such recruiter.", detail: $"Batch {batch} has no recruiter at rank {rank}.");
}
