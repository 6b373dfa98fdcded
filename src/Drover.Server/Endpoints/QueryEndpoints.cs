using System.Text.Json;
using System.Text.Json.Nodes;
using Drover.Json;
using Drover.Model;
using Drover.Query;
using Drover.Server.Auth;
using Drover.Server.Http;
using Drover.Storage;
using Drover.Validation;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Drover.Server.Endpoints;

/// <summary>
/// The task database's bulk operations, all driven by MongoDB-style filters: query, resubmit, purge.
/// </summary>
public static class QueryEndpoints
{
    public static void MapQueryEndpoints(this IEndpointRouteBuilder app)
    {
        var tasks = app.MapGroup("/api/tasks").RequireAuthorization(Roles.ReadPolicy).WithTags("tasks");
        tasks.MapPost("/query", QueryAsync)
            .Produces<TaskRecord[]>().ProducesValidationProblem()
            .WithSummary("Tasks matching a MongoDB-style filter: {filter, keys, sort, skip, limit} or {filter, count: true}");
        tasks.MapPost("/resubmit", ResubmitAsync).Audit("tasks.resubmit").RequireAuthorization(Roles.SubmitPolicy)
            .Produces<TaskRecord[]>(StatusCodes.Status201Created).ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict)
            .WithSummary("New tasks with the definitions of ended ones: {ids: [...]} or {filter: {...}}");
        tasks.MapPost("/purge", PurgeAsync).Audit("tasks.purge").RequireAuthorization(Roles.SubmitPolicy)
            .Produces<PurgeOutcome>().ProducesValidationProblem()
            .WithSummary("Delete the ended tasks a filter selects, with their executions: {filter: {...}}");
    }

    private static async Task<IResult> QueryAsync(HttpRequest request, ITaskStore store, CancellationToken cancellationToken)
    {
        var (body, problem) = await JsonBody.ReadAsync(request, cancellationToken, bulk: true);
        if (problem is not null) return problem;
        var errors = new FieldErrors();
        var parsed = QueryRequest.Parse(body, errors);
        if (parsed is null) return Problems.Invalid(errors);
        // A scoped token's filter is combined with its scope, never trusted.
        parsed = parsed with { Query = parsed.Query with { Filter = Scope.Of(request.HttpContext.User).Restrict(parsed.Query.Filter) } };

        if (parsed.Count) return Results.Ok(new { count = await store.CountTasksAsync(parsed.Query.Filter, cancellationToken) });
        var found = await store.QueryTasksAsync(parsed.Query, cancellationToken);
        return parsed.Keys is { } keys ? Results.Ok(found.Select(t => Project(t, keys)).ToList()) : Results.Ok(found);
    }

    private static async Task<IResult> ResubmitAsync(HttpRequest request, ITaskStore store, CancellationToken cancellationToken)
    {
        var (body, problem) = await JsonBody.ReadAsync(request, cancellationToken, bulk: true);
        if (problem is not null) return problem;
        var errors = new FieldErrors();
        var ids = new List<Guid>();
        Filter? filter = null;
        if (body.ValueKind != JsonValueKind.Object)
        {
            errors.Add("body", "must be a JSON object: {\"ids\": [...]} or {\"filter\": {...}}");
        }
        else
        {
            foreach (var member in body.EnumerateObject())
            {
                if (member.Name == "ids") ids = ReadIds(member.Value, errors);
                else if (member.Name == "filter") filter = FilterParser.Parse(member.Value, errors);
                else errors.Add(member.Name, "is not a member of a resubmit request (ids or filter)");
            }
            if (body.TryGetProperty("ids", out _) == body.TryGetProperty("filter", out _)) errors.Add("body", "must name either ids or a filter");
        }
        if (!errors.IsEmpty) return Problems.Invalid(errors);

        if (filter is null && await ScopeChecks.OutsideAsync(request.HttpContext.User, store, ids, cancellationToken) is { } outside) return outside;
        if (filter is not null)
        {
            var matching = await store.QueryTasksAsync(new TaskQuery { Filter = Scope.Of(request.HttpContext.User).Restrict(filter), Limit = TaskQuery.MaxLimit + 1 }, cancellationToken);
            if (matching.Count > TaskQuery.MaxLimit) return Problems.Invalid("filter", $"selects more than {TaskQuery.MaxLimit} tasks; narrow it");
            ids = [.. matching.Select(t => t.Id)];
        }
        var outcome = await store.ResubmitAsync(ids, cancellationToken);
        if (outcome.Unknown.Count > 0)
            return Problems.NotFound("task", outcome.Unknown, store, "nothing was resubmitted");
        if (outcome.NotEnded.Count > 0)
            return Problems.Conflict("Only ended tasks can be resubmitted.", $"Tasks {Problems.Some(outcome.NotEnded)} have not ended; nothing was resubmitted.");
        return Results.Json(outcome.Created, DroverJson.Options, statusCode: StatusCodes.Status201Created);
    }

    private static async Task<IResult> PurgeAsync(HttpRequest request, ITaskStore store, CancellationToken cancellationToken)
    {
        var (body, problem) = await JsonBody.ReadAsync(request, cancellationToken, bulk: true);
        if (problem is not null) return problem;
        var errors = new FieldErrors();
        Filter? filter = null;
        if (body.ValueKind != JsonValueKind.Object || !body.TryGetProperty("filter", out var filterElement))
        {
            // Deleting everything takes an explicit {"filter": {}}, never a missing one.
            errors.Add("filter", "is required (use {} to purge every ended task)");
        }
        else
        {
            filter = FilterParser.Parse(filterElement, errors);
            foreach (var member in body.EnumerateObject().Where(m => m.Name != "filter"))
                errors.Add(member.Name, "is not a member of a purge request (filter)");
        }
        if (!errors.IsEmpty) return Problems.Invalid(errors);
        return Results.Ok(await store.PurgeAsync(Scope.Of(request.HttpContext.User).Restrict(filter!), cancellationToken));
    }

    private static List<Guid> ReadIds(JsonElement value, FieldErrors errors)
    {
        var ids = new List<Guid>();
        if (value.ValueKind != JsonValueKind.Array || value.GetArrayLength() == 0)
        {
            errors.Add("ids", "must be a non-empty array of task ids");
            return ids;
        }
        if (value.GetArrayLength() > TaskQuery.MaxLimit) errors.Add("ids", $"must name at most {TaskQuery.MaxLimit} tasks");
        var i = 0;
        foreach (var item in value.EnumerateArray())
        {
            if (item.ValueKind == JsonValueKind.String && Ids.TryParse(item.GetString(), out var id)) ids.Add(id);
            else errors.Add($"ids[{i}]", "must be a task id (a UUID)");
            i++;
        }
        if (ids.Distinct().Count() != ids.Count) errors.Add("ids", "must not name a task twice");
        return ids;
    }

    /// <summary>Only the fields named, and the id always; fields without a value are left out, as everywhere.</summary>
    private static JsonObject Project(TaskRecord task, IReadOnlyList<string> keys)
    {
        var full = JsonSerializer.SerializeToNode(task, DroverJson.Options)!.AsObject();
        var projected = new JsonObject { ["id"] = task.Id.ToString() };
        foreach (var key in keys)
        {
            if (key != "id" && full[key] is { } value) projected[key] = value.DeepClone();
        }
        return projected;
    }
}
