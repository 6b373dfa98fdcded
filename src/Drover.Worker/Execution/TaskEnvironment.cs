using System.Globalization;
using Drover.Contracts;

namespace Drover.Worker.Execution;

/// <summary>
/// The variables Drover gives a task, beside what its <c>env</c> says: where the server is, who the
/// task is, its token, and (for a task with data) where its folders are. The worker's own token is
/// never among them.
/// </summary>
internal static class TaskEnvironment
{
    public static Dictionary<string, string> For(LeasedTask lease, Uri server, IEnumerable<(string Name, string Path)> folders)
    {
        var variables = new Dictionary<string, string>(lease.Env ?? new Dictionary<string, string>(), StringComparer.Ordinal)
        {
            ["DROVER_URL"] = server.ToString(),
            ["DROVER_TASK_ID"] = lease.TaskId.ToString(),
            ["DROVER_EXECUTION_ID"] = lease.ExecutionId.ToString(),
            ["DROVER_ATTEMPT"] = lease.Attempt.ToString(CultureInfo.InvariantCulture),
        };
        if (lease.TaskToken is { } token) variables["DROVER_TASK_TOKEN"] = token;
        foreach (var (name, path) in folders) variables[name] = path;
        return variables;
    }
}
