using System.Globalization;
using Drover.Json;
using Drover.Model;
using Drover.Query;
using Drover.Server.Auth;
using Drover.Server.Http;
using Drover.Server.Overview;
using Drover.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Drover.Server.Endpoints;

/// <summary>
/// <c>GET /api/overview[?since=TIME]</c>: the dashboard's landing page in one answer. The ended
/// tasks are read from the task database (never kept on the hot path): the page asks for the whole
/// hour once, then only from its last, unfinished step.
/// </summary>
public static class OverviewEndpoints
{
    public static readonly TimeSpan Window = TimeSpan.FromHours(1);
    public static readonly TimeSpan Step = TimeSpan.FromSeconds(10);
    /// <summary>At most this many ended tasks are read per answer: past it the oldest steps are left incomplete (and said to be).</summary>
    public const int MaxEnded = 50_000;

    private static readonly TaskField Completed = TaskFields.Get("completed");
    private static readonly TaskField Status = TaskFields.Get("status");

    public static void MapOverviewEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/overview", GetAsync).RequireAuthorization(Roles.ReadPolicy).WithTags("dashboard")
            .Produces<OverviewRecord>().ProducesValidationProblem()
            .WithSummary("Tasks per state, queue depth per batch, workers busy and idle, and tasks ended per 10 s over the last hour (or since a time)");
    }

    private static async Task<IResult> GetAsync(HttpContext context, ITaskStore store, BatchCounts batchCounts, TimeProvider time, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var history = new EndedHistory(Step);
        var from = history.StepOf(now - Window);
        if (context.Request.Query["since"] is { Count: > 0 } since)
        {
            if (!DateTimeOffset.TryParse(since.ToString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var asked))
                return Problems.Invalid("since", "must be a time (ISO 8601, e.g. \"2026-12-06T10:00:00Z\")");
            // Never more than the window, and from the start of the step asked, so that the step is counted whole.
            if (asked > from) from = history.StepOf(asked);
        }
        var scope = Scope.Of(context.User);
        // Shared by every open dashboard, and reused while young (a full count is a scan at millions).
        var batches = await batchCounts.GetAsync(cancellationToken);
        // A batch's counts cover every group: a token scoped by groups counts its own tasks instead.
        var visible = scope.IsEverything ? batches
            : scope.Groups is null ? [.. batches.Where(b => scope.Batches!.Contains(b.Name, StringComparer.Ordinal))]
            : [];
        var counts = Enum.GetValues<TaskState>().ToDictionary(Enums.Name, _ => 0L);
        if (scope.Groups is null)
        {
            foreach (var batch in visible)
                foreach (var (state, n) in batch.Counts) counts[state] += n;
        }
        else
        {
            foreach (var state in Enum.GetValues<TaskState>())
                counts[Enums.Name(state)] = await store.CountTasksAsync(scope.Restrict(new CompareFilter(Status, CompareOp.Eq, Enums.Name(state))), cancellationToken);
        }

        var countedFrom = await ReadEndedAsync(store, scope, from, history, cancellationToken);
        return Results.Ok(new OverviewRecord
        {
            Now = now,
            Counts = counts,
            Batches = [.. visible.Select(Depth).Where(b => b.Waiting + b.Running + b.Ended > 0)],
            Workers = Summarize(await store.ListWorkersAsync(cancellationToken)),
            StepSeconds = (int)Step.TotalSeconds,
            From = from,
            CountedFrom = countedFrom,
            Ended = history.Steps,
            DurationBounds = EndedHistory.DurationBounds,
        });
    }

    /// <summary>Counts the tasks that ended since <paramref name="from"/>, newest first; returns where it stopped when it read its maximum.</summary>
    private static async Task<DateTimeOffset?> ReadEndedAsync(ITaskStore store, Scope scope, DateTimeOffset from, EndedHistory history, CancellationToken cancellationToken)
    {
        var query = new TaskQuery
        {
            Filter = scope.Restrict(new CompareFilter(Completed, CompareOp.Gte, from)),
            Sort = [new Query.SortKey(Completed, Descending: true)],
            Limit = TaskQuery.MaxLimit,
        };
        for (var read = 0; read < MaxEnded; read += TaskQuery.MaxLimit)
        {
            var page = await store.QueryTasksAsync(query with { Skip = read }, cancellationToken);
            foreach (var task in page) history.Add(task);
            if (page.Count < TaskQuery.MaxLimit) return null;
            if (read + page.Count >= MaxEnded) return page[^1].Completed;
        }
        return null;
    }

    private static BatchDepth Depth(BatchRecord batch)
    {
        long Of(params TaskState[] states) => states.Sum(s => batch.Counts.GetValueOrDefault(Enums.Name(s)));
        return new BatchDepth(batch.Name, batch.Paused,
            Waiting: Of(TaskState.Pending, TaskState.Queued),
            Running: Of(TaskState.Assigned, TaskState.Running, TaskState.Paused),
            Ended: Of(TaskState.Succeeded, TaskState.Failed, TaskState.Canceled));
    }

    private static WorkerSummary Summarize(IReadOnlyList<WorkerRecord> workers)
    {
        var connected = workers.Where(w => w.Status.IsConnected()).ToList();
        return new WorkerSummary(
            Busy: connected.Count(w => w.Status == WorkerState.Running && w.Running > 0),
            Idle: connected.Count(w => w.Status == WorkerState.Running && w.Running == 0),
            Paused: connected.Count(w => w.Status == WorkerState.Paused),
            Draining: connected.Count(w => w.Status == WorkerState.Draining),
            Slots: connected.Where(w => w.Status == WorkerState.Running).Sum(w => w.Concurrency),
            SlotsUsed: connected.Sum(w => w.Running));
    }
}
