using Drover.Contracts;
using Drover.Model;

namespace Drover.Storage;

/// <summary>
/// Which writes must reach the disk before they are answered. A lease, a heartbeat, a start or output
/// may be lost with the machine (its task is queued again, as at-least-once allows; the next durable
/// commit carries them to the disk anyway); what ends an execution or stops a worker may not.
/// </summary>
public static class Durability
{
    public static bool Needed(WorkerReport report) =>
        report.State != WorkerState.Running || report.Events.Exists(e => e.Type is ReportEventType.Finished or ReportEventType.Released);
}
