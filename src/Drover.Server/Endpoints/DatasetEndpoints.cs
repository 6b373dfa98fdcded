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
        var datasets = app.MapGroup("/api/datasets").RequireAuthorization(Roles.AdminPolicy).WithTags("datasets");
        datasets.MapGet("/", async (ITaskStore store, DatasetCatalogue catalogue, CancellationToken ct) =>
                Results.Ok(catalogue.Datasets(await store.ListWorkersAsync(ct))))
            .Produces<DatasetRecord[]>().WithSummary("Every dataset connected workers hold: shards, holders, rows, bytes, schema");
        datasets.MapGet("/{name}", GetAsync).Produces<DatasetRecord>().ProducesProblem(StatusCodes.Status404NotFound)
            .WithSummary("One dataset: its shards and which workers hold each");
        datasets.MapPost("/{name}/groupby", GroupByAsync).Accepts<GroupByRequest>("application/json")
            .Produces<GroupByResult>().ProducesValidationProblem().ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .WithSummary("Group by columns and aggregate over every shard (one task per shard on a worker holding it), merged exactly; JSON, CSV or Arrow IPC");

        app.MapPut("/api/workers/{id}/shards", AnnounceAsync).RequireAuthorization(Roles.WorkerPolicy).WithTags("workers")
            .Accepts<ShardAnnouncement>("application/json").ProducesValidationProblem()
            .WithSummary("Worker protocol: the dataset shards this worker serves now, and its shard handler");
    }

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
