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
    public WorkerState State { get; init; } = WorkerState.Active;
}
