using System.Text.Json;
using Drover.Contracts;
using Drover.Json;
using Drover.Model;
using Drover.Text;

namespace Drover.Validation;

/// <summary>Checks a client's task and normalizes it; every problem is reported against the field at fault.</summary>
public static class TaskSpecValidator
{
    public const string DefaultBatch = "default";
    public const int MaxNameLength = 256;
    public const int MaxRetry = 1000;
    public const int MaxRequires = 10_000;

    /// <summary>The longest timeout a task may have: a year (a task that must run longer has none).</summary>
    public static readonly TimeSpan MaxTimeout = TimeSpan.FromDays(365);
    internal const string MaxTimeoutMessage = "must be at most 365d (leave it out for no timeout)";

    /// <param name="prefix">Prepended to field names, e.g. "[3]." for the fourth task of an array.</param>
    public static TaskDefinition? Validate(TaskSpec spec, FieldErrors errors, string prefix = "")
    {
        var before = errors.Count;
        var id = Ids.New();
        if (spec.Id is not null && !Ids.TryParse(spec.Id, out id))
            errors.Add(prefix + "id", "must be a UUID such as 0193a2b0-7c3e-7f00-8000-0123456789ab");

        // Field names (prefix + name: a string each) are made for fields given only.
        if (spec.Name is not null) CheckLabel(spec.Name, prefix + "name", errors);
        if (spec.Batch is not null) CheckLabel(spec.Batch, prefix + "batch", errors);
        if (spec.Group is not null) CheckLabel(spec.Group, prefix + "group", errors);

        var shell = spec.Shell is null ? null : ReadShell(spec.Shell, prefix + "shell", errors);
        var command = spec.Command is null ? null : ReadCommand(spec.Command, shell is not null, prefix + "command", errors);
        var hasCommand = spec.Command is { ValueKind: not JsonValueKind.Null };
        if (hasCommand == (spec.Handler is not null))
        {
            errors.Add(prefix + (hasCommand ? "handler" : "command"),
                hasCommand ? "give either command or handler, not both" : "must not be empty: give a command or a handler");
        }
        if (spec.Handler is not null && string.IsNullOrWhiteSpace(spec.Handler))
            errors.Add(prefix + "handler", "must not be empty");
        if (spec.Args is not null && spec.Handler is null)
            errors.Add(prefix + "args", "is only for handler tasks");
        if (shell is not null && spec.Handler is not null)
            errors.Add(prefix + "shell", "is only for command tasks");

        if (spec.Env is not null)
        {
            foreach (var key in spec.Env.Keys)
            {
                if (key.Length == 0 || key.Contains('=') || key.Contains('\0'))
                    errors.Add(prefix + "env", $"'{key}' is not a valid variable name");
            }
        }
        var requires = new List<Guid>();
        foreach (var text in spec.Requires ?? [])
        {
            if (!Ids.TryParse(text, out var requirement)) errors.Add(prefix + "requires", $"'{text}' is not a task id (a UUID)");
            else if (requirement == id) errors.Add(prefix + "requires", "a task cannot require itself");
            else if (!requires.Contains(requirement)) requires.Add(requirement);
        }
        if (requires.Count > MaxRequires) errors.Add(prefix + "requires", $"must name at most {MaxRequires} tasks");
        if (spec.Retry is < 0 or > MaxRetry)
            errors.Add(prefix + "retry", $"must be between 0 and {MaxRetry}");

        TimeSpan? timeout = null;
        if (spec.Timeout is { ValueKind: not JsonValueKind.Null } t)
        {
            if (!TryReadDuration(t, out var value)) errors.Add(prefix + "timeout", "must be a duration such as \"30s\", \"5m\", \"1h30m\" or a number of seconds");
            else if (value <= TimeSpan.Zero) errors.Add(prefix + "timeout", "must be positive");
            else if (value > MaxTimeout) errors.Add(prefix + "timeout", MaxTimeoutMessage);
            else timeout = value;
        }

        // Delayed: a time, or a duration from when the store creates it (not from here: the store's clock decides).
        DateTimeOffset? runAfter = null;
        TimeSpan? runIn = null;
        if (spec.RunAfter is not null && spec.In is { ValueKind: not JsonValueKind.Null })
            errors.Add(prefix + "run_after", "give run_after (a time) or in (a duration), not both");
        else if (spec.RunAfter is { } after)
        {
            if (!DateTimeOffset.TryParse(after, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var at) || after.Length < 10)
                errors.Add(prefix + "run_after", "must be a time (ISO 8601, e.g. \"2026-12-24T18:00:00Z\")");
            else runAfter = at.ToUniversalTime();
        }
        else if (spec.In is { ValueKind: not JsonValueKind.Null } delay)
        {
            if (!TryReadDuration(delay, out var value) || value < TimeSpan.Zero) errors.Add(prefix + "in", "must be a duration such as \"15m\", \"2h\" or a number of seconds");
            else if (value > MaxTimeout) errors.Add(prefix + "in", "must be at most 365d");
            else runIn = value;
        }

        var staging = StagingFields.Read(spec, isCommand: hasCommand && spec.Handler is null, prefix, errors);

        if (errors.Count != before) return null;
        return new TaskDefinition
        {
            Id = id,
            Name = spec.Name,
            Batch = spec.Batch ?? DefaultBatch,
            Group = spec.Group,
            Command = command,
            Shell = shell,
            Handler = spec.Handler,
            Args = spec.Args?.Clone(),
            Env = spec.Env,
            Priority = spec.Priority ?? 0,
            Retry = spec.Retry ?? 0,
            Timeout = timeout,
            RunAfter = runAfter,
            RunIn = runIn,
            Input = staging.Input,
            Resource = staging.Resource,
            Output = staging.Output,
            OutputOn = staging.OutputOn,
            Container = staging.Container,
            ContainerOptions = staging.ContainerOptions,
            Cache = staging.Cache,
            Requires = requires.Count > 0 ? requires : null,
        };
    }

    internal static void CheckLabel(string? value, string field, FieldErrors errors)
    {
        if (value is null) return;
        if (string.IsNullOrWhiteSpace(value)) errors.Add(field, "must not be empty");
        else if (value.Length > MaxNameLength) errors.Add(field, $"must be at most {MaxNameLength} characters");
    }

    private static string? ReadShell(JsonElement? shell, string field, FieldErrors errors)
    {
        switch (shell)
        {
            case null or { ValueKind: JsonValueKind.Null or JsonValueKind.False }:
                return null;
            case { ValueKind: JsonValueKind.True }:
                return "sh";
            case { ValueKind: JsonValueKind.String } s when s.GetString() is { Length: > 0 } program && !program.Any(char.IsWhiteSpace):
                return program;
            default:
                errors.Add(field, "must be true, false, or the name of a shell such as \"bash\"");
                return null;
        }
    }

    private static List<string>? ReadCommand(JsonElement? command, bool shell, string field, FieldErrors errors)
    {
        if (command is not { } c || c.ValueKind == JsonValueKind.Null) return null;
        List<string> words;
        if (c.ValueKind == JsonValueKind.String)
        {
            var text = c.GetString()!;
            if (shell)
            {
                words = [text];
            }
            else
            {
                var split = ShellWords.Split(text, out var error);
                if (split is null)
                {
                    errors.Add(field, error!);
                    return null;
                }
                words = [.. split];
            }
        }
        else if (c.ValueKind == JsonValueKind.Array)
        {
            words = [];
            foreach (var item in c.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.String)
                {
                    errors.Add(field, "must be an array of strings or a string");
                    return null;
                }
                words.Add(item.GetString()!);
            }
            // With a shell, the argv array is the text of one command line.
            if (shell && words.Count > 0) words = [string.Join(' ', words)];
        }
        else
        {
            errors.Add(field, "must be an array of strings or a string");
            return null;
        }
        if (words.Count == 0 || string.IsNullOrWhiteSpace(words[0]))
        {
            errors.Add(field, "must not be empty");
            return null;
        }
        if (words.Any(w => w.Contains('\0')))
        {
            errors.Add(field, "must not contain NUL characters");
            return null;
        }
        return words;
    }

    public static bool TryReadDuration(JsonElement element, out TimeSpan value)
    {
        value = default;
        return element.ValueKind switch
        {
            JsonValueKind.Number => element.TryGetDouble(out var s) && Durations.TryFromSeconds(s, out value),
            JsonValueKind.String => Durations.TryParse(element.GetString(), out value),
            _ => false,
        };
    }
}
