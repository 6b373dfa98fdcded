using System.Text.Json;
using Drover.Contracts;
using Drover.Model;
using Drover.Staging;
using Drover.Text;

namespace Drover.Validation;

/// <summary>A task's data fields, checked: inputs, resources, output, container. Each problem names its field (<c>input[1]</c>).</summary>
internal sealed record StagingFields(
    IReadOnlyList<string>? Input, IReadOnlyList<string>? Resource, string? Output, OutputOn? OutputOn,
    string? Container, IReadOnlyList<string>? ContainerOptions, bool Cache)
{
    public const int MaxUris = 1000;
    public const int MaxImageLength = 512;

    private static readonly StagingFields None = new(null, null, null, null, null, null, false);

    public static StagingFields Read(TaskSpec spec, bool isCommand, string prefix, FieldErrors errors)
    {
        // Field names are made for fields given only: most tasks give none of these.
        var input = spec.Input is null ? null : ReadUris(spec.Input, prefix + "input", errors);
        var resource = spec.Resource is null ? null : ReadUris(spec.Resource, prefix + "resource", errors);
        string? output = null;
        if (spec.Output is not null)
        {
            try
            {
                output = StagingSpec.ParseOutput(spec.Output).ToString();
            }
            catch (FormatException e)
            {
                errors.Add(prefix + "output", e.Message);
            }
        }
        OutputOn? outputOn = null;
        if (spec.OutputOn is not null)
        {
            if (spec.OutputOn is "success" or "always") outputOn = spec.OutputOn == "always" ? Model.OutputOn.Always : Model.OutputOn.Success;
            else errors.Add(prefix + "output_on", "must be \"success\" or \"always\"");
            if (spec.Output is null) errors.Add(prefix + "output_on", "is only for tasks with an output");
        }

        var container = spec.Container;
        if (container is not null)
        {
            if (container.Length == 0 || container.Any(char.IsWhiteSpace) || container.StartsWith('-'))
                errors.Add(prefix + "container", "must be an image name such as \"busybox\" or \"ghcr.io/org/tool:1.2\"");
            else if (container.Length > MaxImageLength) errors.Add(prefix + "container", $"must be at most {MaxImageLength} characters");
            if (!isCommand) errors.Add(prefix + "container", "is only for command tasks (a handler runs in the worker)");
        }
        var options = spec.ContainerOptions is null ? null : ReadOptions(spec.ContainerOptions, prefix + "container_options", errors);
        if (options is not null && container is null) errors.Add(prefix + "container_options", "is only for tasks with a container");

        var cache = spec.Cache == true;
        if (cache && !isCommand) errors.Add(prefix + "cache", "is only for command tasks");
        // Most tasks move no data: they share one record that says so.
        return input is null && resource is null && output is null && outputOn is null && container is null && options is null && !cache
            ? None
            : new StagingFields(input, resource, output, outputOn, container, options, cache);
    }

    /// <summary>A string or an array of strings, each a staging URI with its actions; normalized.</summary>
    private static List<string>? ReadUris(JsonElement? value, string field, FieldErrors errors)
    {
        if (value is not { } v || v.ValueKind == JsonValueKind.Null) return null;
        var items = new List<(string Field, JsonElement Item)>();
        if (v.ValueKind == JsonValueKind.String) items.Add((field, v));
        else if (v.ValueKind == JsonValueKind.Array) items.AddRange(v.EnumerateArray().Select((item, i) => ($"{field}[{i}]", item)));
        else
        {
            errors.Add(field, "must be a URI or an array of URIs");
            return null;
        }
        if (items.Count > MaxUris)
        {
            errors.Add(field, $"must name at most {MaxUris} URIs");
            return null;
        }
        var uris = new List<string>();
        foreach (var (name, item) in items)
        {
            if (item.ValueKind != JsonValueKind.String)
            {
                errors.Add(name, "must be a URI such as s3://bucket/key or https://host/file.tar.gz|untar");
                continue;
            }
            try
            {
                uris.Add(StagingSpec.Parse(item.GetString()!).ToString());
            }
            catch (FormatException e)
            {
                errors.Add(name, e.Message);
            }
        }
        return uris.Count > 0 ? uris : null;
    }

    private static List<string>? ReadOptions(JsonElement? value, string field, FieldErrors errors)
    {
        if (value is not { } v || v.ValueKind == JsonValueKind.Null) return null;
        if (v.ValueKind == JsonValueKind.String)
        {
            var words = ShellWords.Split(v.GetString()!, out var error);
            if (words is null) errors.Add(field, error!);
            return words is { Count: > 0 } ? [.. words] : null;
        }
        if (v.ValueKind == JsonValueKind.Array && v.EnumerateArray().All(i => i.ValueKind == JsonValueKind.String))
            return [.. v.EnumerateArray().Select(i => i.GetString()!)];
        errors.Add(field, "must be a string of options (\"--cpus 2 -v /data:/data:ro\") or an array of strings");
        return null;
    }
}
