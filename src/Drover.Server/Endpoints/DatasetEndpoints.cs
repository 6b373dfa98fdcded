using System.Text.Json;
using Drover.Contracts;
using Drover.Datasets;
using Drover.Json;
using Drover.Server.Auth;
using Drover.Server.Datasets;
using Drover.Server.Http;
using Drover.Storage;
using Drover.Validation;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Drover.Server.Endpoints;

/// <summary>Datasets: the catalogue of shards that workers hold, and distributed group-by queries over them.</summary>
public static class DatasetEndpoints
{
    public static readonly TimeSpan DefaultQueryTimeout = TimeSpan.FromMinutes(5);
    public static readonly TimeSpan MaxQueryTimeout = TimeSpan.FromHours(1);

    public static void MapDatasetEndpoints(this IEndpointRouteBuilder app)
    {
        // Reading and querying a dataset: any reader whose scope holds the dataset's batch (dataset:NAME), as its group-by tasks run there.
        var datasets = app.MapGroup("/api/datasets").RequireAuthorization(Roles.ReadPolicy).WithTags("datasets");
        datasets.MapGet("/", async (HttpContext context, ITaskStore store, DatasetCatalogue catalogue, CancellationToken ct) =>
                Results.Ok(catalogue.Datasets(await store.ListWorkersAsync(ct)).Where(d => Visible(context, d.Name)).ToList()))
            .Produces<DatasetRecord[]>().WithSummary("Every dataset connected workers hold: shards, holders, rows, bytes, schema");
        var named = datasets.MapGroup("/").AddEndpointFilter(async (context, next) =>
            Visible(context.HttpContext, (string)context.HttpContext.Request.RouteValues["name"]!) ? await next(context) : NoDataset((string)context.HttpContext.Request.RouteValues["name"]!));
        named.MapGet("/{name}", GetAsync).Produces<DatasetRecord>().ProducesProblem(StatusCodes.Status404NotFound)
            .WithSummary("One dataset: its shards and which workers hold each");
        named.MapPost("/{name}/groupby", GroupByAsync).Accepts<GroupByRequest>("application/json")
            .Produces<GroupByResult>().ProducesValidationProblem().ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .WithSummary("Group by columns and aggregate over every shard (one task per shard on a worker holding it), merged exactly; JSON, CSV or Arrow IPC");

        // Distribution changes what every worker serves: an admin's.
        var admin = app.MapGroup("/api/datasets").RequireAuthorization(Roles.AdminPolicy).WithTags("datasets");
        admin.MapPost("/{name}/distribute", DistributeAsync).Audit("dataset.distribute").Accepts<DistributeRequest>("application/json")
            .Produces<DatasetTicket>(StatusCodes.Status202Accepted).ProducesValidationProblem().ProducesProblem(StatusCodes.Status409Conflict)
            .WithSummary("Bring a new generation of the dataset to its workers from file://, s3:// or http(s)://: a download ticket that switches every worker or none");
        admin.MapGet("/tickets", async (DistributionTickets tickets, CancellationToken ct) => Results.Ok(await tickets.ListAsync(ct)))
            .Produces<DatasetTicket[]>().WithSummary("Distribution tickets, newest first, with each worker's progress");
        admin.MapGet("/tickets/{id}", GetTicketAsync).Produces<DatasetTicket>().ProducesProblem(StatusCodes.Status404NotFound)
            .WithSummary("One distribution ticket");
        admin.MapDelete("/tickets/{id}", CancelTicketAsync).Audit("dataset.cancel").Produces<DatasetTicket>().ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .WithSummary("Cancel a running ticket: its workers drop what they staged, and the old generation keeps serving");

        app.MapPut("/api/workers/{id}/shards", AnnounceAsync).RequireAuthorization(Roles.WorkerPolicy).WithTags("workers")
            .Accepts<ShardAnnouncement>("application/json").ProducesValidationProblem()
            .WithSummary("Worker protocol: the dataset shards this worker serves now, and its shard handler");
    }

    private static bool Visible(HttpContext context, string dataset) =>
        Scope.Of(context.User) is var scope && (scope.IsEverything || (scope.Groups is null && scope.Contains(null, GroupByRunner.BatchOf(dataset))));

    private static async Task<IResult> GetAsync(string name, ITaskStore store, DatasetCatalogue catalogue, CancellationToken cancellationToken) =>
        catalogue.Dataset(name, await store.ListWorkersAsync(cancellationToken)) is { } dataset ? Results.Ok(dataset) : NoDataset(name);

    private static async Task<IResult> GroupByAsync(string name, HttpRequest request, ITaskStore store, DatasetCatalogue catalogue,
        GroupByRunner runner, CancellationToken cancellationToken)
    {
        var (body, problem) = await JsonBody.ReadAsync<GroupByRequest>(request, cancellationToken);
        if (problem is not null) return problem;
        if (!store.KeepsHistory)
            return Problems.Conflict("This server keeps no task history.", "A group-by reads each shard's answer from its task, which --store none forgets as it ends; use the sqlite, postgres or memory store.");
        var workers = await store.ListWorkersAsync(cancellationToken);
        var dataset = catalogue.Dataset(name, workers);
        if (dataset is null) return NoDataset(name);
        var errors = new FieldErrors();
        var timeout = DefaultQueryTimeout;
        if (body!.Timeout is { ValueKind: not JsonValueKind.Null } t)
        {
            if (!TaskSpecValidator.TryReadDuration(t, out timeout) || timeout <= TimeSpan.Zero) errors.Add("timeout", "must be a positive duration such as \"30s\" or a number of seconds");
            else if (timeout > MaxQueryTimeout) errors.Add("timeout", "must be at most 1h");
        }
        var plan = GroupByPlanner.Plan(body, dataset, errors);
        if (!errors.IsEmpty) return Problems.Invalid(errors);

        var outcome = await runner.RunAsync(plan!, catalogue, workers, timeout, cancellationToken);
        if (outcome.Result is not { } result)
        {
            return Results.Problem(statusCode: outcome.TimedOut ? StatusCodes.Status504GatewayTimeout : StatusCodes.Status503ServiceUnavailable,
                title: outcome.TimedOut ? "The group-by timed out." : "A shard could not be answered.", detail: outcome.Failure,
                extensions: new Dictionary<string, object?> { ["shard"] = outcome.FailedShard });
        }
        var accept = request.Headers.Accept.ToString();
        if (accept.Contains(GroupByFormats.Arrow, StringComparison.OrdinalIgnoreCase))
            return Results.Bytes(await GroupByFormats.ToArrowAsync(result, cancellationToken), GroupByFormats.Arrow);
        if (accept.Contains(GroupByFormats.Csv, StringComparison.OrdinalIgnoreCase))
            return Results.Text(GroupByFormats.ToCsv(result), GroupByFormats.Csv + "; charset=utf-8");
        return Results.Json(result, DroverJson.Options);
    }

    private static async Task<IResult> DistributeAsync(string name, HttpRequest request, ITaskStore store, DatasetCatalogue catalogue,
        DistributionTickets tickets, CancellationToken cancellationToken)
    {
        var (body, problem) = await JsonBody.ReadAsync<DistributeRequest>(request, cancellationToken);
        if (problem is not null) return problem;
        var errors = new FieldErrors();
        if (!DatasetNames.IsValid(name)) errors.Add("name", DatasetNames.Rule);
        Uri? source = null;
        if (string.IsNullOrWhiteSpace(body!.Source)) errors.Add("source", "is required: file:///dir/, s3://bucket/prefix/ or https://host/dir/");
        else if (!Uri.TryCreate(body.Source, UriKind.Absolute, out source) || source.Scheme is not ("file" or "s3" or "http" or "https"))
            errors.Add("source", "must be an absolute file://, s3://, http:// or https:// URI");
        else if (source.Scheme is "http" or "https" && body.Files is not { Count: > 0 })
            errors.Add("files", "must name the .parquet files under an http(s) source, which cannot be listed");
        var deadline = DistributionTickets.DefaultDeadline;
        if (body.Deadline is { ValueKind: not JsonValueKind.Null } d)
        {
            if (!TaskSpecValidator.TryReadDuration(d, out deadline) || deadline <= TimeSpan.Zero) errors.Add("deadline", "must be a positive duration such as \"30m\" or a number of seconds");
            else if (deadline > DistributionTickets.MaxDeadline) errors.Add("deadline", "must be at most 7d");
        }
        var workers = await store.ListWorkersAsync(cancellationToken);
        var dataWorkers = catalogue.DataWorkers(workers);
        var targets = TicketTargets.Read(body.Workers, dataWorkers, errors);
        if (!errors.IsEmpty) return Problems.Invalid(errors);
        if (!store.KeepsHistory)
            return Problems.Conflict("This server keeps no task history.", "A distribution reads each step's outcome from its task, which --store none forgets as it ends; use the sqlite, postgres or memory store.");
        if (tickets.Active(name) is { } running)
            return Problems.Conflict("A distribution of this dataset is running.", $"Ticket {running.Id} brings generation {running.Generation}; wait for it or cancel it (DELETE /api/datasets/tickets/{running.Id}).");

        IReadOnlyList<StageFile> files;
        try
        {
            files = await ObjectSources.ListAsync(body.Source!, body.Files, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            errors.Add("source", ex.Message);
            return Problems.Invalid(errors);
        }
        var current = catalogue.NewestGeneration(name, workers);
        var served = catalogue.Dataset(name, workers)?.Generation;
        var ticket = tickets.Start(name, body.Source!, (current ?? 0) + 1, served, deadline, targets!.Assign(dataWorkers, files));
        return Results.Accepted($"/api/datasets/tickets/{ticket.Id}", ticket);
    }

    /// <summary>One ticket; <c>?wait=30s</c> answers when it has ended, or at the timeout as it is then.</summary>
    private static async Task<IResult> GetTicketAsync(string id, HttpRequest request, DistributionTickets tickets, Hosting.DroverServerOptions options,
        TimeProvider time, CancellationToken cancellationToken)
    {
        if (!RouteIds.TryParse(id, out var ticketId, out var problem)) return problem!;
        var wait = TimeSpan.Zero;
        if (request.Query["wait"].ToString() is { Length: > 0 } waitText)
        {
            if (!Durations.TryParse(waitText, out wait) || wait < TimeSpan.Zero) return Problems.Invalid("wait", $"'{waitText}' is not a duration such as 30s");
            if (wait > options.MaxLongPoll) wait = options.MaxLongPoll;
        }
        if (wait > TimeSpan.Zero) await tickets.WaitAsync(ticketId, wait, time, cancellationToken);
        return await tickets.GetAsync(ticketId, cancellationToken) is { } ticket ? Results.Ok(ticket) : Problems.NotFound("ticket", ticketId);
    }

    private static async Task<IResult> CancelTicketAsync(string id, DistributionTickets tickets, CancellationToken cancellationToken)
    {
        if (!RouteIds.TryParse(id, out var ticketId, out var problem)) return problem!;
        if (await tickets.GetAsync(ticketId, cancellationToken) is not { } ticket) return Problems.NotFound("ticket", ticketId);
        if (ticket.Ended is not null) return Problems.Conflict("The ticket has ended.", $"Ticket {ticketId} ended {ticket.State}; there is nothing to cancel.");
        return Results.Ok(await tickets.CancelAsync(ticketId));
    }

    private static async Task<IResult> AnnounceAsync(string id, HttpRequest request, ITaskStore store, DatasetCatalogue catalogue, CancellationToken cancellationToken)
    {
        if (!RouteIds.TryParse(id, out var workerId, out var problem)) return problem!;
        var (announcement, bodyProblem) = await JsonBody.ReadAsync<ShardAnnouncement>(request, cancellationToken, bulk: true);
        if (bodyProblem is not null) return bodyProblem;
        var errors = new FieldErrors();
        DatasetCatalogue.Check(announcement!, errors, "");
        if (!errors.IsEmpty) return Problems.Invalid(errors);
        if (await store.GetWorkerAsync(workerId, cancellationToken) is null) return Problems.NotFound("worker", workerId);
        catalogue.Announce(workerId, announcement!);
        return Results.NoContent();
    }

    private static IResult NoDataset(string name) =>
        Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such dataset.",
            detail: $"No connected worker holds a dataset named '{name}' (workers serve DIR/<dataset>/<shard>.parquet with --data-dir).");
}
