using Drover.Contracts;
using Drover.Model;
using Drover.Server.Auth;
using Drover.Storage;
using Drover.Validation;

namespace Drover.Server.Dispatch;

/// <summary>What the HTTP worker endpoints and the worker channel do alike: check and apply a report, and hand out task tokens.</summary>
public static class WorkerProtocol
{
    /// <summary>What the serializer lets through but a report cannot be: no event list, or a missing event.</summary>
    public static FieldErrors Check(WorkerReport report)
    {
        var errors = new FieldErrors();
        if (report.Events is null) errors.Add("events", "must be an array of events (empty for a heartbeat)");
        else
        {
            for (var i = 0; i < report.Events.Count && errors.Count < 10; i++)
            {
                if (report.Events[i] is null) errors.Add($"events[{i}]", "must be an event object");
            }
        }
        return errors;
    }

    /// <summary>
    /// Applies a report (committed before this returns) and gathers what the answer carries: signals,
    /// new settings, and whether the worker should announce its shards again.
    /// </summary>
    /// <exception cref="UnknownWorkerException">The store does not know the worker: it must register again.</exception>
    public static async Task<ReportResult> ApplyAsync(Guid workerId, WorkerReport report, ITaskStore store, StoreSignals signals,
        Datasets.DatasetCatalogue catalogue)
    {
        // Not cancelled by a hang-up: a report that reached us is applied, so a retry is harmless.
        var result = await store.ReportAsync(workerId, report, CancellationToken.None);
        var (commands, control) = await Instructions.TakeAsync(store, signals, workerId);
        if (report.State == WorkerState.Stopped) catalogue.Forget(workerId);
        // A server that restarted knows the workers (their records) but not their shards yet.
        var announce = report.State != WorkerState.Stopped && !catalogue.Knows(workerId);
        return result with { Signals = commands, Control = control, AnnounceShards = announce };
    }

    /// <summary>
    /// Each task gets its own token, for its status while this execution runs (a command uses it
    /// through DROVER_TASK_TOKEN, a .NET handler through its worker). Not the built-in echo: it
    /// reports nothing, and the token is an HMAC, not free per task.
    /// </summary>
    public static IReadOnlyList<LeasedTask> WithTaskTokens(IReadOnlyList<LeasedTask> tasks, TaskTokens tokens) =>
        tasks.Any(NeedsToken) ? [.. tasks.Select(t => NeedsToken(t) ? t with { TaskToken = tokens.For(t.ExecutionId) } : t)] : tasks;

    private static bool NeedsToken(LeasedTask task) => task.Handler != LeasedTask.EchoHandler;
}
