using Drover.Json;
using Drover.Model;
using Drover.Query;
using Drover.Server.Auth;
using Drover.Server.Http;
using Drover.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Drover.Server.Endpoints;

/// <summary>Batches: counts per state, pause and resume of leasing, cancel of everything unfinished, delete when ended.</summary>
public static class BatchEndpoints
{
    private static readonly string[] Live = [.. TaskStateRules.Live.Select(Enums.Name)];

    public static void MapBatchEndpoints(this IEndpointRouteBuilder app)
    {
        var batches = app.MapGroup("/api/batches").RequireAuthorization(Roles.ReadPolicy).WithTags("batches");
        batches.MapGet("/", ListAsync)
            .Produces<BatchRecord[]>().WithSummary("Every batch: tasks per state, paused or not, the workers serving it (a scoped token: its batches)");
        // Batch-wide actions: an admin, or a submit token that sees the whole batch.
        var actions = batches.MapGroup("/").RequireAuthorization(Roles.SubmitPolicy)
            .AddEndpointFilter(async (context, next) =>
                ScopeChecks.BatchOutside(context.HttpContext.User, (string)context.HttpContext.Request.RouteValues["name"]!) ?? await next(context));
        actions.MapPost("/{name}/pause", (string name, ITaskStore store, CancellationToken ct) => SetPausedAsync(name, true, store, ct)).Audit("batch.pause")
            .WithSummary("Stop leasing the batch's tasks (running ones go on)");
        actions.MapPost("/{name}/resume", (string name, ITaskStore store, CancellationToken ct) => SetPausedAsync(name, false, store, ct)).Audit("batch.resume")
            .WithSummary("Lease the batch's tasks again");
        actions.MapPost("/{name}/cancel", CancelAsync).Audit("batch.cancel")
            .WithSummary("Cancel every unfinished task of the batch; running ones are killed");
        batches.MapDelete("/{name}", DeleteAsync).Audit("batch.delete").RequireAuthorization(Roles.AdminPolicy).ProducesProblem(StatusCodes.Status409Conflict)
            .WithSummary("Delete the records of a batch whose tasks have all ended");
    }

    /// <summary>
    /// A batch's counts cover every group's tasks: a scoped token sees the batches of its batch scope
    /// only, and one scoped by groups alone sees none.
    /// </summary>
    private static async Task<IResult> ListAsync(HttpContext context, ITaskStore store, CancellationToken cancellationToken)
    {
        var all = await store.ListBatchesAsync(cancellationToken);
        var scope = Scope.Of(context.User);
        if (scope.IsEverything) return Results.Ok(all);
        return Results.Ok(scope.Groups is null ? all.Where(b => scope.Batches!.Contains(b.Name, StringComparer.Ordinal)).ToList() : []);
    }

    private static async Task<IResult> SetPausedAsync(string name, bool paused, ITaskStore store, CancellationToken cancellationToken)
    {
        await store.SetBatchPausedAsync(name, paused, cancellationToken);
        return Results.Ok(new { name, paused });
    }

    private static async Task<IResult> CancelAsync(string name, ITaskStore store, CancellationToken cancellationToken)
    {
        var canceled = 0;
        var query = new TaskQuery { Filter = LiveTasksOf(name), Limit = TaskQuery.MaxLimit };
        // A page at a time: canceling a task may cancel others (its dependants), so each page is read afresh.
        for (var page = await store.QueryTasksAsync(query, cancellationToken); page.Count > 0; page = await store.QueryTasksAsync(query, cancellationToken))
        {
            var before = canceled;
            foreach (var task in page)
            {
                if ((await store.CancelAsync(task.Id, $"batch {name} canceled", cancellationToken)) is { NotFound: false, AlreadyEnded: false })
                    canceled++;
            }
            if (canceled == before) break; // nothing more would change

        }
        return Results.Ok(new { name, canceled });
    }

    private static async Task<IResult> DeleteAsync(string name, ITaskStore store, IRecruitmentStore records, CancellationToken cancellationToken)
    {
        var live = await store.CountTasksAsync(LiveTasksOf(name), cancellationToken);
        if (live > 0)
            return Problems.Conflict("The batch has unfinished tasks.", $"Batch {name} has {live} task(s) that have not ended; cancel the batch or wait for it first.");
        var outcome = await store.PurgeAsync(BatchIs(name), cancellationToken);
        // A deleted batch recruits no more.
        var recruiters = await records.DeleteRecruitersAsync(name, rank: null, cancellationToken);
        if (outcome.Deleted == 0 && recruiters == 0)
            return Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such batch.", detail: $"There are no tasks in batch {name}.");
        return Results.Ok(new { name, deleted = outcome.Deleted, recruiters });
    }

    private static CompareFilter BatchIs(string name) =>
        new(TaskFields.Get("batch"), CompareOp.Eq, name);

    private static AndFilter LiveTasksOf(string name) =>
        new([BatchIs(name), new InFilter(TaskFields.Get("status"), Live, Negated: false)]);
}
