using Drover.Model;

namespace Drover.Query;

/// <summary>
/// The audit log's queryable fields, for the same filter language as tasks'. They are columns of
/// the SQL stores' <c>audit</c> table; <see cref="Value"/> reads them from a record in memory.
/// </summary>
public static class AuditFields
{
    // TaskField carries a task accessor; audit records are read through Value below instead.
    private static readonly TaskField[] All =
    [
        new("seq", "seq", FieldKind.Integer, _ => null),
        new("time", "at", FieldKind.Time, _ => null),
        new("token", "token", FieldKind.Text, _ => null),
        new("role", "role", FieldKind.Text, _ => null),
        new("action", "action", FieldKind.Text, _ => null),
        new("target", "target", FieldKind.Text, _ => null),
        new("address", "address", FieldKind.Text, _ => null),
        new("status", "status", FieldKind.Integer, _ => null),
    ];

    public static IReadOnlyDictionary<string, TaskField> Catalogue { get; } = All.ToDictionary(f => f.Name, StringComparer.Ordinal);

    public static object? Value(TaskField field, AuditRecord entry) => field.Name switch
    {
        "seq" => entry.Seq,
        "time" => entry.Time,
        "token" => entry.Token,
        "role" => entry.Role,
        "action" => entry.Action,
        "target" => entry.Target,
        "address" => entry.Address,
        "status" => (long)entry.Status,
        _ => null,
    };
}
