using Drover.Model;

namespace Drover.Contracts;

/// <summary>
/// Container tasks go only to workers with a container engine. Such a worker offers this capability
/// among its handlers, and dispatch keeps container tasks under it, as it keeps handler tasks under
/// their handler: a container task waits <c>queued</c> for a worker that can run it.
/// </summary>
public static class ContainerTasks
{
    public const string Capability = "drover.container";

    /// <summary>What a worker must offer to be leased the task: its handler, the container capability, or nothing (a command).</summary>
    public static string? RequiredOffer(TaskRecord task) => task.Handler ?? (task.Container is null ? null : Capability);

    /// <summary>Names Drover gives itself among a worker's handlers, not ones a user wrote.</summary>
    public static bool IsInternal(string handler) =>
        handler == Capability || handler.StartsWith(AdminHandlers.Prefix, StringComparison.Ordinal);
}
