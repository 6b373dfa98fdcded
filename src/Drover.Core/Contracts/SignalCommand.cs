using Drover.Model;

namespace Drover.Contracts;

/// <summary>A signal for the worker to apply to one of its executions, carried by a lease or report answer.</summary>
public sealed record SignalCommand(Guid ExecutionId, TaskSignal Signal);
