using Drover.Json;
using Drover.Model;

namespace Drover.Query;

/// <summary>What a filter compares a field's values as.</summary>
public enum FieldKind
{
    Text,
    Integer,
    Real,
    Time,
    /// <summary>A UUID: filter values must be UUIDs.</summary>
    Id,
    /// <summary>A task state: filter values must be state names.</summary>
    Status,
}

/// <summary>A task field that filters and sorts can name: its wire name, column, kind and value.</summary>
public sealed record TaskField(string Name, string Column, FieldKind Kind, Func<TaskRecord, object?> Value);

/// <summary>
/// The queryable task fields, by wire name. Every one is a column in the SQL stores and a property
/// of <see cref="TaskRecord"/>, so that each backend answers a query the same way.
/// </summary>
public static class TaskFields
{
    private static readonly TaskField[] All =
    [
        new("id", "id", FieldKind.Id, t => t.Id),
        new("name", "name", FieldKind.Text, t => t.Name),
        new("batch", "batch", FieldKind.Text, t => t.Batch),
        new("group", "grp", FieldKind.Text, t => t.Group),
        new("shell", "shell", FieldKind.Text, t => t.Shell),
        new("handler", "handler", FieldKind.Text, t => t.Handler),
        new("priority", "priority", FieldKind.Integer, t => (long)t.Priority),
        new("retry", "retry", FieldKind.Integer, t => (long)t.Retry),
        new("status", "status", FieldKind.Status, t => Enums.Name(t.Status)),
        new("status_message", "status_message", FieldKind.Text, t => t.StatusMessage),
        new("progress", "progress", FieldKind.Real, t => t.Progress),
        new("attempts", "attempts", FieldKind.Integer, t => (long)t.Attempts),
        new("failures", "failures", FieldKind.Integer, t => (long)t.Failures),
        new("worker_id", "worker_id", FieldKind.Id, t => t.WorkerId),
        new("execution_id", "execution_id", FieldKind.Id, t => t.ExecutionId),
        new("client_id", "client_id", FieldKind.Text, t => t.ClientId),
        new("submitted", "submitted", FieldKind.Time, t => t.Submitted),
        new("assigned", "assigned", FieldKind.Time, t => t.Assigned),
        new("started", "started", FieldKind.Time, t => t.Started),
        new("completed", "completed", FieldKind.Time, t => t.Completed),
        new("run_after", "run_after", FieldKind.Time, t => t.RunAfter),
        new("exit_code", "exit_code", FieldKind.Integer, t => t.ExitCode is { } c ? (long)c : null),
        new("error", "error", FieldKind.Text, t => t.Error),
        new("reason", "reason", FieldKind.Text, t => t.Reason),
        new("stdout_bytes", "stdout_bytes", FieldKind.Integer, t => t.StdoutBytes),
        new("stderr_bytes", "stderr_bytes", FieldKind.Integer, t => t.StderrBytes),
        new("stdout", "stdout", FieldKind.Text, t => t.Stdout),
        new("stderr", "stderr", FieldKind.Text, t => t.Stderr),
        new("resubmitted_from", "resubmitted_from", FieldKind.Id, t => t.ResubmittedFrom),
        new("resubmitted", "resubmitted", FieldKind.Id, t => t.Resubmitted),
        new("container", "container", FieldKind.Text, t => t.Container),
        new("cached_from", "cached_from", FieldKind.Id, t => t.CachedFrom),
        new("cache_key", "cache_key", FieldKind.Text, t => t.CacheKey),
    ];

    private static readonly Dictionary<string, TaskField> ByName = All.ToDictionary(f => f.Name, StringComparer.Ordinal);

    /// <summary>Every queryable field, by wire name, for <see cref="FilterParser"/>.</summary>
    public static IReadOnlyDictionary<string, TaskField> Catalogue => ByName;

    public static IEnumerable<string> Names => All.Select(f => f.Name);

    public static bool TryGet(string name, out TaskField field) => ByName.TryGetValue(name, out field!);

    /// <summary>A field the code names (not a request): one that must exist.</summary>
    public static TaskField Get(string name) => ByName[name];

    /// <summary>Fields a record leaves out unless a query names them in <c>keys</c>.</summary>
    public static readonly IReadOnlySet<string> Large = new HashSet<string>(StringComparer.Ordinal) { "stdout", "stderr", "args", "result" };
}
