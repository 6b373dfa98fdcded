using System.Text.Json;
using Drover.Contracts;
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
/// The result cache, for workers: which succeeded task has a cache key. Kept in the task database
/// itself (the <c>cache_key</c> column, indexed), so it lasts as long as the tasks it points to.
/// </summary>
public static class CacheEndpoints
{
    public static void MapCacheEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/cache/{key}", FindAsync).RequireAuthorization(Roles.WorkerPolicy).WithTags("workers")
            .Produces<CachedResult>().ProducesProblem(StatusCodes.Status404NotFound).ProducesValidationProblem()
            .WithSummary("Worker protocol: the newest succeeded task with this cache key, whose outputs a task with the same key reuses");
    }

    private static async Task<IResult> FindAsync(string key, ITaskStore store, CancellationToken cancellationToken)
    {
        if (key.Length != 64 || !key.All(char.IsAsciiHexDigitLower))
            return Problems.Invalid("key", "must be a cache key: 64 lowercase hexadecimal digits (a SHA-256)");
        var errors = new FieldErrors();
        var filter = FilterParser.Parse(JsonSerializer.SerializeToElement(new Dictionary<string, string> { ["cache_key"] = key, ["status"] = "succeeded" }), errors)!;
        var found = await store.QueryTasksAsync(new TaskQuery
        {
            Filter = filter,
            Sort = [new SortKey(TaskFields.Get("completed"), Descending: true)],
            Limit = 1,
        }, cancellationToken);
        return found is [var task]
            ? Results.Ok(new CachedResult { TaskId = task.Id, Output = task.Output, Completed = task.Completed })
            : Results.Problem(title: "No succeeded task has this cache key.", statusCode: StatusCodes.Status404NotFound);
    }
}
