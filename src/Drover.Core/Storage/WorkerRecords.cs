using Drover.Contracts;
using Drover.Model;

namespace Drover.Storage;

public static class WorkerRecords
{
    public static WorkerRecord FromRegistration(WorkerRegistration registration, Guid id, DateTimeOffset now) => new()
    {
        Id = id,
        Name = string.IsNullOrWhiteSpace(registration.Name) ? $"worker-{id.ToString()[^6..]}" : registration.Name,
        Hostname = registration.Hostname,
        Pid = registration.Pid,
        Concurrency = registration.Concurrency,
        Prefetch = registration.PrefetchAuto ? 0 : registration.Prefetch,
        PrefetchAuto = registration.PrefetchAuto,
        Batch = registration.Batch,
        Handlers = registration.Handlers,
        Recyclable = registration.Recyclable,
        Status = WorkerState.Running,
        Registered = now,
        LastSeen = now,
    };

    /// <summary>A worker's record with the changes of a PATCH (or a DELETE's drain) applied.</summary>
    public static WorkerRecord Apply(WorkerRecord worker, WorkerSettings settings, bool drain) => worker with
    {
        Concurrency = settings.Concurrency ?? worker.Concurrency,
        Prefetch = settings.PrefetchAuto == true ? 0 : settings.Prefetch ?? worker.Prefetch,
        // A fixed number given turns auto off; auto asked for turns it on; neither leaves it.
        PrefetchAuto = settings.PrefetchAuto ?? (settings.Prefetch is null && worker.PrefetchAuto),
        Batch = settings.Batch is null ? worker.Batch : settings.Batch.Length == 0 ? null : settings.Batch,
        Paused = settings.Paused ?? worker.Paused,
        Drain = worker.Drain || drain,
    };

    /// <summary>What the worker is told of its settings.</summary>
    public static WorkerControl Control(WorkerRecord worker) => new()
    {
        Concurrency = worker.Concurrency,
        Prefetch = worker.Prefetch,
        PrefetchAuto = worker.PrefetchAuto,
        Batch = worker.Batch,
        Paused = worker.Paused,
        Drain = worker.Drain,
    };

    /// <summary>The prefetch as the SQL stores keep it in one column: the number, or -1 for auto.</summary>
    public static int StoredPrefetch(WorkerRecord worker) => worker.PrefetchAuto ? -1 : worker.Prefetch;

    /// <summary>Applies the settings to the live worker: what is leased to it from now on.</summary>
    public static void ApplyTo(Dispatch.LiveWorker live, WorkerRecord worker)
    {
        live.Batch = worker.Batch;
        live.HoldsBack = worker.Paused || worker.Drain;
        live.PendingControl = Control(worker);
    }
}
