using System.Security.Claims;
using Drover.Contracts;
using Drover.Server.Http;
using Drover.Storage;
using Drover.Validation;
using Microsoft.AspNetCore.Http;

namespace Drover.Server.Auth;

/// <summary>
/// Where endpoints check a caller's scope. A task outside it answers as one that does not exist
/// (404): a scoped token learns nothing of other scopes' tasks, not even that they are there.
/// </summary>
public static class ScopeChecks
{
    /// <returns>Null when every task named that exists is in the caller's scope; else a 404 naming the others.</returns>
    public static async Task<IResult?> OutsideAsync(ClaimsPrincipal user, ITaskStore store, IReadOnlyCollection<Guid> ids, CancellationToken cancellationToken)
    {
        var scope = Scope.Of(user);
        if (scope.IsEverything) return null;
        var found = await store.GetTasksAsync(ids, includeOutput: false, cancellationToken);
        var outside = found.Where(t => !scope.Contains(t)).Select(t => t.Id).ToList();
        return outside.Count == 0 ? null : Problems.NotFound("task", outside, store);
    }

    /// <summary>
    /// A new task of a scoped caller gets its first group and batch when it names none; naming one
    /// outside the scope is an error for that field (answered 403).
    /// </summary>
    public static TaskSpec Apply(Scope scope, TaskSpec spec, FieldErrors forbidden, string prefix)
    {
        if (scope.IsEverything) return spec;
        var scoped = spec with { Group = spec.Group ?? scope.Groups?[0], Batch = spec.Batch ?? scope.Batches?[0] };
        if (scope.Groups is { } groups && !groups.Contains(scoped.Group!, StringComparer.Ordinal))
            forbidden.Add(prefix + "group", $"'{scoped.Group}' is not one of this token's groups ({string.Join(", ", groups)})");
        if (scope.Batches is { } batches && !batches.Contains(scoped.Batch!, StringComparer.Ordinal))
            forbidden.Add(prefix + "batch", $"'{scoped.Batch}' is not one of this token's batches ({string.Join(", ", batches)})");
        return scoped;
    }

    /// <summary>Problem details for fields the caller may not set: 403, naming them.</summary>
    public static IResult Forbidden(FieldErrors errors) =>
        Results.ValidationProblem(errors.ToDictionary(), title: "Outside this token's scope.", statusCode: StatusCodes.Status403Forbidden);

    /// <summary>A batch-wide action needs a token that sees the whole batch: admin, or no group scope and the batch among its batches.</summary>
    public static IResult? BatchOutside(ClaimsPrincipal user, string batch)
    {
        var scope = Scope.Of(user);
        if (scope.IsEverything || (scope.Groups is null && scope.Batches!.Contains(batch, StringComparer.Ordinal))) return null;
        return Results.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Outside this token's scope.",
            detail: $"Batch '{batch}' holds tasks this token may not act on: a batch action needs a token scoped to that batch and no groups.");
    }
}
