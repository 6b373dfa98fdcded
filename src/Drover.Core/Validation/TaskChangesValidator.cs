using System.Text.Json;
using Drover.Model;

namespace Drover.Validation;

/// <summary>
/// Checks a <c>PATCH /api/tasks/{id}</c> body (<see cref="Contracts.TaskChanges"/>) by the same rules
/// as a new task's fields, naming each field at fault. Read from the JSON itself, because a field set
/// to null (clear it) and a field left out (keep it) mean different things.
/// </summary>
public static class TaskChangesValidator
{
    private static readonly HashSet<string> Known = new(StringComparer.Ordinal) { "name", "priority", "retry", "timeout" };

    public static TaskEdit? Validate(JsonElement body, FieldErrors errors)
    {
        if (body.ValueKind != JsonValueKind.Object)
        {
            errors.Add("body", "must be a JSON object");
            return null;
        }
        var before = errors.Count;
        foreach (var field in body.EnumerateObject().Where(f => !Known.Contains(f.Name)))
            errors.Add(field.Name, "is not a field that can be changed (name, priority, retry, timeout)");

        var setsName = body.TryGetProperty("name", out var n);
        string? name = null;
        if (setsName)
        {
            if (n.ValueKind == JsonValueKind.String) TaskSpecValidator.CheckLabel(name = n.GetString(), "name", errors);
            else if (n.ValueKind != JsonValueKind.Null) errors.Add("name", "must be a string, or null to clear it");
        }
        var priority = Integer(body, "priority", int.MinValue, int.MaxValue, errors);
        var retry = Integer(body, "retry", 0, TaskSpecValidator.MaxRetry, errors);
        var setsTimeout = body.TryGetProperty("timeout", out var t);
        TimeSpan? timeout = null;
        if (setsTimeout && t.ValueKind != JsonValueKind.Null)
        {
            if (!TaskSpecValidator.TryReadDuration(t, out var value)) errors.Add("timeout", "must be a duration such as \"30s\", \"5m\", \"1h30m\" or a number of seconds, or null to clear it");
            else if (value <= TimeSpan.Zero) errors.Add("timeout", "must be positive");
            else timeout = value;
        }
        var edit = new TaskEdit { SetsName = setsName, Name = name, Priority = priority, Retry = retry, SetsTimeout = setsTimeout, Timeout = timeout };
        if (errors.Count == before && !edit.SetsName && !edit.ChangesDispatch) errors.Add("body", "must change something: name, priority, retry or timeout");
        return errors.Count == before ? edit : null;
    }

    private static int? Integer(JsonElement body, string field, int min, int max, FieldErrors errors)
    {
        if (!body.TryGetProperty(field, out var value)) return null;
        if (value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var number) && number >= min && number <= max) return number;
        errors.Add(field, min == int.MinValue ? "must be a whole number" : $"must be a whole number between {min} and {max}");
        return null;
    }
}
