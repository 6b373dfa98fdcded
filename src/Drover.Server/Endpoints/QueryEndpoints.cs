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

/// <summary>The task database's query side: <c>POST /api/tasks/query</c> (MongoDB-style filters).</summary>
public static class QueryEndpoints
{
    public static void MapQueryEndpoints(this IEndpointRouteBuilder app)
    {
        var tasks = app.MapGroup("/api/tasks").RequireAuthorization(Roles.AdminPolicy).WithTags("tasks");
        tasks.MapPost("/query", QueryAsync)
            .Produces<TaskRecord[]>().ProducesValidationProblem()
            .WithSummary("Tasks matching a MongoDB-style filter: {filter, keys, sort, skip, limit} or {filter, count: true}");
    }

    private static async Task<IResult> QueryAsync(HttpRequest request, ITaskStore store, CancellationToken cancellationToken)
    {
        var (body, problem) = await JsonBody.ReadAsync(request, cancellationToken);
        if (problem is not null) return problem;
        var errors = new FieldErrors();
        var parsed = QueryRequest.Parse(body, errors);
        if (parsed is null) return Problems.Invalid(errors);

        if (parsed.Count) return Results.Ok(new { count = await store.CountTasksAsync(parsed.Query.Filter, cancellationToken) });
        var found = await store.QueryTasksAsync(parsed.Query, cancellationToken);
        return parsed.Keys is { } keys ? Results.Ok(found.Select(t => Project(t, keys)).ToList()) : Results.Ok(found);
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
