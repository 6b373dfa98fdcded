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
        Prefetch = registration.Prefetch,
        Batch = registration.Batch,
        Handlers = registration.Handlers,
        Status = WorkerState.Active,
        Registered = now,
        LastSeen = now,
    };
}
