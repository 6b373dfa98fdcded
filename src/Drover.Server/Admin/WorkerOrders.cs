using System.Diagnostics;
using System.Text.Json;
using Drover.Contracts;
using Drover.Json;
using Drover.Model;
using Drover.Server.Datasets;
using Drover.Server.Dispatch;
using Drover.Storage;

namespace Drover.Server.Admin;

/// <summary>
/// Admin orders given to workers as tasks for each one's own admin handler, at a high priority in the
/// batch it serves: every connected worker gets one, and answers within the timeout or is reported as
/// not answering (a paused worker, or one whose slots are all taken, leases nothing new).
/// </summary>
internal sealed class WorkerOrders(ITaskStore store, TaskWaiter waiter, TimeProvider time)
{
    public const int Priority = 10_000;
    public const string Batch = "drover.admin";

    /// <summary>The workers that take work now and offer an admin handler.</summary>
    public static bool Takes(WorkerRecord worker) => worker.Status == WorkerState.Running && AdminHandlers.Of(worker) is not null;

    public static TaskDefinition TaskFor(WorkerRecord worker, AdminOrder order) => new()
    {
        Id = Guid.CreateVersion7(),
        Name = $"admin {order.Action}",
        Batch = worker.Batch ?? Batch,
        Handler = AdminHandlers.Of(worker),
        Args = JsonSerializer.SerializeToElement(order, DroverJson.Options),
        Priority = Priority,
    };

    /// <summary>Gives the order to every connected worker and waits for their answers, at most <paramref name="timeout"/>.</summary>
    public async Task<List<WorkerAnswer>> GiveAllAsync(AdminOrder order, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var workers = (await store.ListWorkersAsync(cancellationToken))
            .Where(w => w.Status.IsConnected())
            .OrderBy(w => w.Name, StringComparer.Ordinal).ThenBy(w => w.Id).ToList();
        var answers = workers.ToDictionary(w => w.Id, w => Answer(w, Takes(w) ? null : $"{Enums.Name(w.Status)}: takes no new work"));
        var round = new TaskRound(store, waiter);
        var tasks = workers.Where(Takes).Select(w => (Task: TaskFor(w, order), Worker: w.Id)).ToList();
        var workerOf = tasks.ToDictionary(t => t.Task.Id, t => t.Worker);
        var clock = Stopwatch.StartNew();
        await round.StartAsync(tasks);
        var deadline = clock.Elapsed + timeout;
        while (round.Pending.Count > 0 && clock.Elapsed < deadline)
        {
            if (await round.NextAsync(deadline - clock.Elapsed, time, cancellationToken) is not { } end) break;
            var worker = workerOf[end.TaskId];
            answers[worker] = end.Task is { Status: TaskState.Succeeded } done
                ? answers[worker] with { RoundTripMs = Math.Round(clock.Elapsed.TotalMilliseconds, 1), Level = LevelOf(done) }
                : answers[worker] with { Error = TaskRound.Why(end.Task) };
        }
        foreach (var worker in round.Pending.Values) answers[worker] = answers[worker] with { Error = $"no answer within {Durations.Format(timeout)}" };
        await round.CancelPendingAsync("the admin order timed out");
        return [.. workers.Select(w => answers[w.Id])];
    }

    private static WorkerAnswer Answer(WorkerRecord worker, string? error) =>
        new() { Worker = worker.Id, Name = worker.Name, Host = worker.Hostname, Error = error };

    private static string? LevelOf(TaskRecord task) =>
        task.Result is { ValueKind: JsonValueKind.Object } result && result.TryGetProperty("level", out var level) ? level.GetString() : null;
}
