using Drover.Contracts;

namespace Drover.Worker.Execution;

/// <summary>
/// Runs named in-process handlers. Built in: <c>echo</c>, whose result is its args — the cost of
/// dispatch alone, and a health check.
/// </summary>
public sealed class HandlerRunner : ITaskRunner
{
    public static IReadOnlyList<string> BuiltIn { get; } = ["echo"];

    public bool CanRun(LeasedTask lease) => lease.Handler is not null;

    public Task<ReportEvent> RunAsync(RunningTask task) => Task.FromResult(task.Lease.Handler switch
    {
        "echo" => task.Finished(exitCode: 0, result: task.Lease.Args),
        var name => task.Finished(exitCode: null, error: $"no handler named '{name}' on this worker (it has: {string.Join(", ", BuiltIn)})"),
    });
}
