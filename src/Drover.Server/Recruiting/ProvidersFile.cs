using System.Text.Json;
using Drover.Json;
using Drover.Recruiting;
using Drover.Text;

namespace Drover.Server.Recruiting;

/// <summary>A flavor as the providers file writes it: memory as <c>"32GB"</c>.</summary>
public sealed record FlavorSettings
{
    public string Name { get; init; } = "";
    public int Cpus { get; init; }
    public string? Memory { get; init; }
    public double Cost { get; init; }
    public string? Region { get; init; }
}

/// <summary>A <c>command</c> provider: command templates the server runs with <c>sh -c</c>.</summary>
public sealed record CommandProviderSettings
{
    public string Name { get; init; } = "";
    public string Type { get; init; } = "command";
    /// <summary>Starts a worker; placeholders {name} {batch} {flavor} {region} {host} {server} {token} {concurrency} {prefetch}.</summary>
    public string Deploy { get; init; } = "";
    /// <summary>Gives a worker back once it drained (or never registered); also {handle}, the deploy's first line of output.</summary>
    public string? Destroy { get; init; }
    /// <summary>Hosts to spread workers over (an ssh pool): each deploy takes the one with the fewest.</summary>
    public List<string>? Hosts { get; init; }
    public int? MaxWorkers { get; init; }
    public string? DeployTimeout { get; init; }
    public List<FlavorSettings>? Flavors { get; init; }
}

/// <summary>The server's providers file (<c>--providers FILE</c>): <c>{"providers": [...]}</c>.</summary>
public sealed record ProvidersFile
{
    public List<CommandProviderSettings> Providers { get; init; } = [];

    /// <summary>Reads and checks the file; a mistake is an <see cref="ArgumentException"/> naming the file and the field.</summary>
    public static ProvidersFile Load(string path)
    {
        ProvidersFile file;
        try
        {
            file = JsonSerializer.Deserialize<ProvidersFile>(File.ReadAllText(path), DroverJson.Strict)
                ?? throw new ArgumentException($"--providers {path}: the file is empty.");
        }
        catch (IOException ex)
        {
            throw new ArgumentException($"--providers {path}: {ex.Message}");
        }
        catch (JsonException ex)
        {
            throw new ArgumentException($"--providers {path}: {ex.Message}");
        }
        var names = new HashSet<string>(StringComparer.Ordinal) { LocalProvider.ProviderName };
        for (var i = 0; i < file.Providers.Count; i++)
        {
            var p = file.Providers[i];
            var at = $"--providers {path}: providers[{i}]";
            if (string.IsNullOrWhiteSpace(p.Name) || p.Name.Any(c => char.IsWhiteSpace(c) || c == '/'))
                throw new ArgumentException($"{at}.name must be a word (no spaces or slashes).");
            if (!names.Add(p.Name)) throw new ArgumentException($"{at}.name: '{p.Name}' is named twice (or is the built-in local).");
            if (p.Type != "command") throw new ArgumentException($"{at}.type must be \"command\", not '{p.Type}'.");
            if (string.IsNullOrWhiteSpace(p.Deploy)) throw new ArgumentException($"{at}.deploy must be a command template.");
            if (CommandTemplate.Unknown(p.Deploy, CommandTemplate.DeployPlaceholders) is { } unknown)
                throw new ArgumentException($"{at}.deploy: {{{unknown}}} is not a placeholder ({string.Join(", ", CommandTemplate.DeployPlaceholders.Select(x => "{" + x + "}"))}).");
            if (p.Destroy is { } destroy && CommandTemplate.Unknown(destroy, CommandTemplate.DestroyPlaceholders) is { } unknownDestroy)
                throw new ArgumentException($"{at}.destroy: {{{unknownDestroy}}} is not a placeholder ({string.Join(", ", CommandTemplate.DestroyPlaceholders.Select(x => "{" + x + "}"))}).");
            if (p.Deploy.Contains("{host}", StringComparison.Ordinal) && p.Hosts is not { Count: > 0 })
                throw new ArgumentException($"{at}.hosts must list hosts: deploy uses {{host}}.");
            if (p.MaxWorkers is < 1) throw new ArgumentException($"{at}.max_workers must be at least 1.");
            if (p.DeployTimeout is { } timeout && !(Durations.TryParse(timeout, out var t) && t > TimeSpan.Zero))
                throw new ArgumentException($"{at}.deploy_timeout: '{timeout}' is not a duration such as 5m.");
            for (var j = 0; j < (p.Flavors?.Count ?? 0); j++)
            {
                var f = p.Flavors![j];
                if (string.IsNullOrWhiteSpace(f.Name) || f.Name.StartsWith(FlavorChoice.AutoPrefix, StringComparison.Ordinal))
                    throw new ArgumentException($"{at}.flavors[{j}].name must be a name (not auto:...).");
                if (f.Memory is { } memory && !ByteSizes.TryParse(memory, out _))
                    throw new ArgumentException($"{at}.flavors[{j}].memory: '{memory}' is not a size such as 32GB.");
                if (f.Cpus < 0 || f.Cost < 0) throw new ArgumentException($"{at}.flavors[{j}]: cpus and cost must not be negative.");
            }
        }
        return file;
    }
}
