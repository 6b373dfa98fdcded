using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Drover.Contracts;

namespace Drover.Json;

/// <summary>
/// Reads a <see cref="TaskSpec"/> from an element of a request body already parsed, as
/// <see cref="JsonSerializer"/> would with <see cref="DroverJson.Strict"/>, without reading the
/// element's text a second time: a create of 500 tasks parsed its body once into a document, then
/// each task's text again, member by member through the serializer's metadata, and parsed each JSON
/// member (command, args) a third time into a document of its own (issue 17). JSON members here are
/// the body's own elements: the spec lives as long as the request (a definition clones what it keeps).
/// </summary>
/// <remarks>
/// Only the plain form is read here: every member known, once, of its usual type, and none null.
/// Anything else (an unknown or repeated member, a null, a number for a string, an escaped name) is
/// left to the serializer (<see cref="TryRead"/> answers false), so that what is refused, and the
/// words it is refused in, come from one place.
/// </remarks>
public static class TaskSpecElements
{
    /// <returns>False when the element is not in the plain form: read it with the serializer instead.</returns>
    public static bool TryRead(JsonElement element, out TaskSpec spec)
    {
        spec = new TaskSpec();
        if (element.ValueKind != JsonValueKind.Object) return false;
        Span<char> name = stackalloc char[24];
        var seen = 0;
        foreach (var member in element.EnumerateObject())
        {
            var raw = JsonMarshal.GetRawUtf8PropertyName(member);
            if (raw.Length > name.Length || raw.IndexOf((byte)'\\') >= 0) return false;
            var value = member.Value;
            if (value.ValueKind == JsonValueKind.Null) return false;
            var length = Encoding.UTF8.GetChars(raw, name);
            var bit = Read(spec, name[..length], value);
            if (bit == 0 || (seen & bit) != 0) return false;
            seen |= bit;
        }
        return true;
    }

    /// <summary>Sets one member; returns its bit (each member its own), or 0 when it is unknown or not of its usual type.</summary>
    private static int Read(TaskSpec spec, ReadOnlySpan<char> name, JsonElement value) => name switch
    {
        "id" => (spec.Id = Text(value)) is null ? 0 : 1 << 0,
        "name" => (spec.Name = Text(value)) is null ? 0 : 1 << 1,
        "batch" => (spec.Batch = Reused(value, ref _lastBatch)) is null ? 0 : 1 << 2,
        "group" => (spec.Group = Text(value)) is null ? 0 : 1 << 3,
        "command" => (spec.Command = value) is null ? 0 : 1 << 4,
        "shell" => (spec.Shell = value) is null ? 0 : 1 << 5,
        "handler" => (spec.Handler = Reused(value, ref _lastHandler)) is null ? 0 : 1 << 6,
        "args" => (spec.Args = value) is null ? 0 : 1 << 7,
        "env" => (spec.Env = Env(value)) is null ? 0 : 1 << 8,
        "requires" => (spec.Requires = Requires(value)) is null ? 0 : 1 << 9,
        "priority" => (spec.Priority = Int(value)) is null ? 0 : 1 << 10,
        "retry" => (spec.Retry = Int(value)) is null ? 0 : 1 << 11,
        "timeout" => (spec.Timeout = value) is null ? 0 : 1 << 12,
        "run_after" => (spec.RunAfter = Text(value)) is null ? 0 : 1 << 13,
        "in" => (spec.In = value) is null ? 0 : 1 << 14,
        "input" => (spec.Input = value) is null ? 0 : 1 << 15,
        "resource" => (spec.Resource = value) is null ? 0 : 1 << 16,
        "output" => (spec.Output = Text(value)) is null ? 0 : 1 << 17,
        "output_on" => (spec.OutputOn = Text(value)) is null ? 0 : 1 << 18,
        "container" => (spec.Container = Text(value)) is null ? 0 : 1 << 19,
        "container_options" => (spec.ContainerOptions = value) is null ? 0 : 1 << 20,
        "cache" => (spec.Cache = value.ValueKind switch { JsonValueKind.True => true, JsonValueKind.False => false, _ => null }) is null ? 0 : 1 << 21,
        _ => 0,
    };

    private static string? Text(JsonElement value) => value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    // The batch and handler named last on this thread: the tasks of one create mostly name the same,
    // and their records then share one string (kept as long as the tasks wait) instead of one each.
    [ThreadStatic] private static string? _lastBatch;
    [ThreadStatic] private static string? _lastHandler;

    private static string? Reused(JsonElement value, ref string? last)
    {
        if (value.ValueKind != JsonValueKind.String) return null;
        if (last is not null && value.ValueEquals(last)) return last;
        return last = value.GetString();
    }

    private static int? Int(JsonElement value) => value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var number) ? number : null;

    /// <summary>An object of strings, each name once; null otherwise.</summary>
    private static Dictionary<string, string>? Env(JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Object) return null;
        var env = new Dictionary<string, string>();
        foreach (var variable in value.EnumerateObject())
        {
            if (variable.Value.ValueKind != JsonValueKind.String || !env.TryAdd(variable.Name, variable.Value.GetString()!)) return null;
        }
        return env;
    }

    /// <summary>An array of strings; null otherwise.</summary>
    private static List<string>? Requires(JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Array) return null;
        var requires = new List<string>(value.GetArrayLength());
        foreach (var id in value.EnumerateArray())
        {
            if (id.ValueKind != JsonValueKind.String) return null;
            requires.Add(id.GetString()!);
        }
        return requires;
    }
}
