using Drover.Contracts;
using Drover.Model;
using Drover.Server.Auth;
using Drover.Server.Dispatch;
using Drover.Server.Hosting;
using Drover.Server.Http;
using Drover.Storage;
using Drover.Validation;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Drover.Server.Endpoints;

/// <summary>Workers as resources (list, get) and the worker protocol (register, lease, report).</summary>
public static class WorkerEndpoints
{
    public const int MaxLease = 10_000;

    public static void MapWorkerEndpoints(this IEndpointRouteBuilder app)
    {
        var workers = app.MapGroup("/api/workers").WithTags("workers");
        workers.MapGet("/", async (ITaskStore store, Recruiting.Recruitment recruitment, CancellationToken ct) =>
                Results.Ok(await recruitment.DescribeAsync(await store.ListWorkersAsync(ct), ct)))
            .RequireAuthorization(Roles.ReadPolicy).Produces<WorkerRecord[]>().WithSummary("Every worker that registered");
        workers.MapGet("/{id}", GetAsync).RequireAuthorization(Roles.ReadPolicy).Produces<WorkerRecord>().WithSummary("One worker");
        workers.MapPatch("/{id}", UpdateAsync).Audit("worker.settings").RequireAuthorization(Roles.AdminPolicy).Accepts<WorkerSettings>("application/json")
            .Produces<WorkerRecord>().ProducesValidationProblem().ProducesProblem(StatusCodes.Status404NotFound)
            .WithSummary("Change a worker's concurrency, prefetch, batch or paused, live");
        workers.MapDelete("/{id}", DrainAsync).Audit("worker.drain").RequireAuthorization(Roles.AdminPolicy).Produces<WorkerRecord>()
            .ProducesProblem(StatusCodes.Status404NotFound).WithSummary("Ask a worker to drain (finish what runs, take nothing new) and exit");

        app.MapGet("/api/handlers", async (ITaskStore store, CancellationToken ct) => Results.Ok(HandlerOffer.Of(await store.ListWorkersAsync(ct))))
            .RequireAuthorization(Roles.ReadPolicy).WithTags("workers").Produces<HandlerOffer[]>()
            .WithSummary("The .NET handlers connected workers offer, and which workers: a task naming another waits queued");

        workers.MapPost("/", RegisterAsync).RequireAuthorization(Roles.WorkerPolicy)
            .Accepts<WorkerRegistration>("application/json").Produces<WorkerRegistered>(StatusCodes.Status201Created)
            .WithSummary("Worker protocol: register, and learn the heartbeat interval");
        workers.MapPost("/{id}/lease", LeaseAsync).RequireAuthorization(Roles.WorkerPolicy)
            .Accepts<LeaseRequest>("application/json").Produces<LeaseResponse>()
            .WithSummary("Worker protocol: lease up to max tasks, long-polling up to wait seconds when none is ready");
        workers.MapGet("/{id}/channel", ChannelAsync).RequireAuthorization(Roles.WorkerPolicy)
            .WithSummary("Worker protocol: one WebSocket for the whole exchange (tasks pushed as they become ready, reports acknowledged after commit)");
        workers.MapPost("/{id}/report", ReportAsync).RequireAuthorization(Roles.WorkerPolicy)
            .Accepts<WorkerReport>("application/json").Produces<ReportResult>()
            .WithSummary("Worker protocol: many task events in one request, and a heartbeat that renews every lease");
    }

    private static async Task<IResult> GetAsync(string id, ITaskStore store, Recruiting.Recruitment recruitment, CancellationToken cancellationToken)
    {
        if (!RouteIds.TryParse(id, out var workerId, out var problem)) return problem!;
        var worker = await store.GetWorkerAsync(workerId, cancellationToken);
        return worker is null ? Problems.NotFound("worker", workerId) : Results.Ok((await recruitment.DescribeAsync([worker], cancellationToken))[0]);
    }

    private static async Task<IResult> UpdateAsync(string id, HttpRequest request, ITaskStore store, CancellationToken cancellationToken)
    {
        if (!RouteIds.TryParse(id, out var workerId, out var problem)) return problem!;
        var (settings, bodyProblem) = await JsonBody.ReadAsync<WorkerSettings>(request, cancellationToken);
        if (bodyProblem is not null) return bodyProblem;
        var errors = new FieldErrors();
        if (settings!.Concurrency is < 1 or > 10_000) errors.Add("concurrency", "must be from 1 to 10000");
        if (settings.Prefetch is < 0 or > 100_000) errors.Add("prefetch", "must be from 0 to 100000");
        if (settings.PrefetchAuto == true && settings.Prefetch is not null) errors.Add("prefetch_auto", "give either a fixed prefetch or prefetch_auto, not both");
        if (settings.Batch is { Length: > 0 } batch && string.IsNullOrWhiteSpace(batch)) errors.Add("batch", "must not be blank (\"\" serves every batch)");
        if (!errors.IsEmpty) return Problems.Invalid(errors);
        return await store.UpdateWorkerAsync(workerId, settings, drain: false, cancellationToken) is { } worker
            ? Results.Ok(worker)
            : Problems.NotFound("worker", [workerId], store);
    }

    private static async Task<IResult> DrainAsync(string id, ITaskStore store, CancellationToken cancellationToken)
    {
        if (!RouteIds.TryParse(id, out var workerId, out var problem)) return problem!;
        return await store.UpdateWorkerAsync(workerId, new WorkerSettings(), drain: true, cancellationToken) is { } worker
            ? Results.Ok(worker)
            : Problems.NotFound("worker", [workerId], store);
    }

    private static async Task<IResult> RegisterAsync(HttpRequest request, ITaskStore store, StoreOptions options,
        Datasets.DatasetCatalogue catalogue, Recruiting.Recruitment recruitment, ILoggerFactory logging, CancellationToken cancellationToken)
    {
        var (registration, problem) = await JsonBody.ReadAsync<WorkerRegistration>(request, cancellationToken);
        if (problem is not null) return problem;
        var errors = new FieldErrors();
        if (registration!.Concurrency < 1) errors.Add("concurrency", "must be at least 1");
        if (registration.Prefetch < 0) errors.Add("prefetch", "must not be negative");
        if (registration.Batch is { } batch && string.IsNullOrWhiteSpace(batch)) errors.Add("batch", "must not be empty");
        if (registration.Data is { } data) Datasets.DatasetCatalogue.Check(data, errors, "data.");
        if (!errors.IsEmpty) return Problems.Invalid(errors);
        // A token made for one deployed worker registers that worker, under its name, and no other.
        if (request.HttpContext.User.FindFirst(Roles.DeploymentClaim)?.Value is { } deployment && registration.Name != deployment)
        {
            return Results.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Forbidden",
                detail: $"This token was made for worker {deployment}; it registers under that name only (--name {deployment}).");
        }

        // A worker token scoped to batches serves one of them, named at registration.
        if (Scope.Of(request.HttpContext.User).Batches is { } batches && !batches.Contains(registration.Batch ?? "", StringComparer.Ordinal))
        {
            errors.Add("batch", $"this worker token serves batches {string.Join(", ", batches)} only: register with --batch one of them");
            return ScopeChecks.Forbidden(errors);
        }

        var worker = await store.RegisterWorkerAsync(registration, cancellationToken);
        // A worker with no data is known too, so that its reports are not asked for shards.
        catalogue.Announce(worker.Id, registration.Data ?? new ShardAnnouncement { Handler = "", Shards = [] });
        Log.WorkerRegistered(logging.CreateLogger("Drover.Server"), worker.Name, worker.Id);
        // A worker a provider was asked for: its deploy job ends now, not at the next look.
        recruitment.Wake();
        var registered = new WorkerRegistered(worker, options.LeaseTimeout.TotalSeconds / 3, options.LeaseTimeout.TotalSeconds);
        return Results.Created($"/api/workers/{worker.Id}", registered);
    }

    private static async Task<IResult> LeaseAsync(string id, HttpRequest request, LeaseLongPoll longPoll, TaskTokens taskTokens,
        DroverServerOptions options, IHostApplicationLifetime lifetime, CancellationToken cancellationToken)
    {
        if (!RouteIds.TryParse(id, out var workerId, out var problem)) return problem!;
        var (lease, bodyProblem) = await JsonBody.ReadAsync<LeaseRequest>(request, cancellationToken);
        if (bodyProblem is not null) return bodyProblem;
        var errors = new FieldErrors();
        if (lease!.Max is < 0 or > MaxLease) errors.Add("max", $"must be from 0 (signals only) to {MaxLease}");
        if (lease.Wait < 0 || double.IsNaN(lease.Wait)) errors.Add("wait", "must not be negative");
        if (!errors.IsEmpty) return Problems.Invalid(errors);

        var wait = TimeSpan.FromSeconds(Math.Min(lease.Wait, options.MaxLongPoll.TotalSeconds));
        // A long-poll ends early when the worker hangs up or the server is stopping.
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, lifetime.ApplicationStopping);
        try
        {
            var answer = await longPoll.LeaseAsync(workerId, lease.Max, wait, linked.Token);
            return Results.Ok(answer with { Tasks = WorkerProtocol.WithTaskTokens(answer.Tasks, taskTokens) });
        }
        catch (UnknownWorkerException ex)
        {
            return Problems.NotFound("worker", ex.WorkerId);
        }
    }

    private static async Task<IResult> ChannelAsync(string id, HttpContext context, ITaskStore store, StoreSignals signals, TaskTokens taskTokens,
        Datasets.DatasetCatalogue catalogue, DroverServerOptions options, IHostApplicationLifetime lifetime, ILoggerFactory logging)
    {
        if (!RouteIds.TryParse(id, out var workerId, out var problem)) return problem!;
        if (!options.WorkerChannel)
            return Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "No worker channel",
                detail: "This server runs with --worker-channel off: lease and report with POST /api/workers/{id}/lease and /report.");
        if (!context.WebSockets.IsWebSocketRequest) return Problems.Invalid("connection", "must be a WebSocket upgrade");
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, lifetime.ApplicationStopping);
        using var frames = new FrameSocket(await context.WebSockets.AcceptWebSocketAsync(), options.MaxRequestBodyBytes);
        var logger = logging.CreateLogger("Drover.Server");
        // What the channel logs names its worker (the scopes of --log-format json).
        using var scope = logger.BeginScope(new Dictionary<string, object> { ["worker_id"] = workerId });
        var channel = new WorkerChannel(workerId, frames, store, signals, taskTokens, catalogue, logger);
        await channel.RunAsync(stop.Token);
        return Results.Empty;
    }

    private static async Task<IResult> ReportAsync(string id, HttpRequest request, ITaskStore store, StoreSignals signals,
        Datasets.DatasetCatalogue catalogue, CancellationToken cancellationToken)
    {
        if (!RouteIds.TryParse(id, out var workerId, out var problem)) return problem!;
        var (report, bodyProblem) = await JsonBody.ReadAsync<WorkerReport>(request, cancellationToken, bulk: true);
        if (bodyProblem is not null) return bodyProblem;
        if (WorkerProtocol.Check(report!) is { IsEmpty: false } errors) return Problems.Invalid(errors);
        try
        {
            return Results.Ok(await WorkerProtocol.ApplyAsync(workerId, report!, store, signals, catalogue));
        }
        catch (UnknownWorkerException ex)
        {
            return Problems.NotFound("worker", ex.WorkerId);
        }
    }
}
