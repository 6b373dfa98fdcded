using System.Text.Json;
using Drover.Contracts;
using Drover.Model;

namespace Drover.Validation;

/// <summary>
/// Checks a <c>PATCH /api/tasks/{id}</c> body (<see cref="Contracts.TaskChanges"/>) by the same rules
/// as a new task's fields, naming each field at fault. Read from the JSON itself, because a field set
/// to null (clear it) and a field left out (keep it) mean different things.
/// </summary>
public static class TaskChangesValidator
{
    private static readonly HashSet<string> Known = new(StringComparer.Ordinal) { "name", "priority", "retry", "timeout", "command", "shell", "handler", "args", "env" };
    private static readonly string[] WhatRuns = ["command", "shell", "handler", "args"];

    /// <param name="current">The task as it is: a new definition keeps its env unless the body gives one.</param>
    public static TaskEdit? Validate(JsonElement body, TaskRecord current, FieldErrors errors)
    {
        if (body.ValueKind != JsonValueKind.Object)
        {
            errors.Add("body", "must be a JSON object");
            return null;
        }
        var before = errors.Count;
        foreach (var field in body.EnumerateObject().Where(f => !Known.Contains(f.Name)))
            errors.Add(field.Name, "is not a field that can be changed (name, priority, retry, timeout, command, shell, handler, args, env)");

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
            else if (value > TaskSpecValidator.MaxTimeout) errors.Add("timeout", TaskSpecValidator.MaxTimeoutMessage);
            else timeout = value;
        }
        var edit = new TaskEdit
        {
            SetsName = setsName, Name = name, Priority = priority, Retry = retry, SetsTimeout = setsTimeout, Timeout = timeout,
            Definition = Definition(body, current, errors),
        };
        if (errors.Count == before && !edit.SetsName && !edit.ChangesDispatch) errors.Add("body", "must change something: name, priority, retry or timeout");
        return errors.Count == before ? edit : null;
    }

    /// <summary>
    /// A new definition, when the body gives one: command, shell, handler and args are replaced
    /// together (what runs), env on its own; checked by the rules of a new task.
    /// </summary>
    private static TaskDefinition? Definition(JsonElement body, TaskRecord current, FieldErrors errors)
    {
        var newWhat = WhatRuns.Any(f => body.TryGetProperty(f, out _));
        var newEnv = body.TryGetProperty("env", out var env);
        if (!newWhat && !newEnv) return null;
        var spec = newWhat
            ? new TaskSpec
            {
                Command = Optional(body, "command"),
                Shell = Optional(body, "shell"),
                Handler = body.TryGetProperty("handler", out var h) && h.ValueKind == JsonValueKind.String ? h.GetString() : null,
                Args = Optional(body, "args"),
            }
            : new TaskSpec
            {
                Command = current.Command is null ? null : JsonSerializer.SerializeToElement(current.Shell is null ? (object)current.Command : current.Command[0]),
                Shell = current.Shell is null ? null : JsonSerializer.SerializeToElement(current.Shell),
                Handler = current.Handler,
                Args = current.Args,
            };
        if (body.TryGetProperty("handler", out var handler) && handler.ValueKind is not (JsonValueKind.String or JsonValueKind.Null))
            errors.Add("handler", "must be a string");
        Dictionary<string, string>? variables = null;
        if (newEnv && env.ValueKind != JsonValueKind.Null)
        {
            try
            {
                variables = env.Deserialize<Dictionary<string, string>>();
            }
            catch (JsonException)
            {
                errors.Add("env", "must be an object of string values");
            }
        }
        spec = spec with { Batch = current.Batch, Env = newEnv ? variables : current.Env is null ? null : new Dictionary<string, string>(current.Env) };
        return TaskSpecValidator.Validate(spec, errors);
    }

    private static JsonElement? Optional(JsonElement body, string field) =>
        body.TryGetProperty(field, out var value) && value.ValueKind != JsonValueKind.Null ? value : null;

    private static int? Integer(JsonElement body, string field, int min, int max, FieldErrors errors)
    {
        if (!body.TryGetProperty(field, out var value)) return null;
        if (value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var number) && number >= min && number <= max) return number;
        errors.Add(field, min == int.MinValue ? "must be a whole number" : $"must be a whole number between {min} and {max}");
        return null;
    }
}
