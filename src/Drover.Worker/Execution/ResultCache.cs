using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Drover.Contracts;
using Drover.Staging;

namespace Drover.Worker.Execution;

/// <summary>
/// scitq's <c>use_cache</c>: a task with <c>cache: true</c> whose command, shell, container (and its
/// options), environment, inputs and resources (each with its remote version: ETag, or size and
/// modification time) match an earlier succeeded task is not run again. Where its outputs go is
/// not part of the key: reusing them elsewhere is the point.
/// </summary>
public sealed class ResultCache(Func<string, CancellationToken, Task<CachedResult?>> find)
{
    private static readonly HashSet<string> Occasion = new(StringComparer.Ordinal) { "TRACEPARENT", "TRACESTATE", "DROVER_SCHEDULED_FOR" };

    /// <summary>The task's key, or null when a remote cannot be asked its version (the run then fails or succeeds on its own).</summary>
    public static async Task<string?> KeyAsync(LeasedTask lease, CancellationToken cancellationToken)
    {
        try
        {
            var what = new
            {
                command = lease.Command,
                shell = lease.Shell,
                container = lease.Container,
                container_options = lease.ContainerOptions,
                // Not the variables that say on what occasion it runs (its trace, its schedule's firing): the same work is the same work.
                env = lease.Env?.Where(e => !Occasion.Contains(e.Key)).OrderBy(e => e.Key, StringComparer.Ordinal).Select(e => new[] { e.Key, e.Value }),
                input = await VersionsAsync(lease.Input, cancellationToken),
                resource = await VersionsAsync(lease.Resource, cancellationToken),
            };
            return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(what))));
        }
        catch (Exception ex) when (ex is StagingException or HttpRequestException
            || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return null;
        }
    }

    /// <summary>The newest earlier success with this key, or null.</summary>
    public Task<CachedResult?> FindAsync(string key, CancellationToken cancellationToken) => find(key, cancellationToken);

    private static async Task<List<string[]>?> VersionsAsync(IReadOnlyList<string>? uris, CancellationToken cancellationToken)
    {
        if (uris is null) return null;
        var versions = new List<string[]>();
        foreach (var uri in uris) versions.Add([uri, await RemoteVersion.ProbeAsync(StagingSpec.Parse(uri), cancellationToken)]);
        return versions;
    }
}
