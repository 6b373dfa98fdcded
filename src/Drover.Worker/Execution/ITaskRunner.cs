using Drover.Contracts;

namespace Drover.Worker.Execution;

/// <summary>Runs one kind of task to its end and describes how it ended.</summary>
public interface ITaskRunner
{
    bool CanRun(LeasedTask lease);

    /// <summary>Runs until the task ends, times out, or <see cref="RunningTask.Stopping"/> fires.</summary>
    Task<ReportEvent> RunAsync(RunningTask task);
}
