using Drover.Model;

namespace Drover.Contracts;

/// <summary>
/// <c>POST /api/workers/{id}/report</c>: many events in one request, and a heartbeat that renews every
/// lease the worker holds.
/// </summary>
public sealed record WorkerReport
{
    public List<ReportEvent> Events { get; init; } = [];
    /// <summary>The worker's own state: <c>stopping</c> while it drains, <c>stopped</c> in its last report.</summary>
    public WorkerState State { get; init; } = WorkerState.Running;

    /// <summary>
    /// The executions the worker holds (in hand or running). Only these leases are renewed, so a lease
    /// whose answer never reached the worker (the connection broke) expires and its task runs again.
    /// Null renews every lease the server thinks the worker holds; an empty list renews none (a
    /// busy worker sends the list only every few seconds, not with every report).
    /// </summary>
    public List<Guid>? Held { get; init; }

    /// <summary>The machine's state; sent every few seconds, with the held list, not with every report.</summary>
    public MachineStats? Stats { get; init; }
}
