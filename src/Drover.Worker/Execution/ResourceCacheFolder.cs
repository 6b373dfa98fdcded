using Drover.Staging;
using Drover.Text;
using Microsoft.Extensions.Logging;

namespace Drover.Worker.Execution;

/// <summary>
/// Where a worker's resource cache lives: a folder of its own (workers on one machine share the work
/// directory, and a cache trusts only what it fetched itself), emptied at start and at stop. Caches
/// that workers which died left behind are removed by the next worker to start.
/// </summary>
internal static class ResourceCacheFolder
{
    private const string Prefix = "resource-cache-";

    public static ResourceCache Open(WorkerOptions options, ILogger logger)
    {
        var directory = options.ResourceCacheDirectory;
        if (directory is null)
        {
            RemoveAbandoned(options.WorkDirectory);
            directory = Path.Combine(options.WorkDirectory, Prefix + Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        return new ResourceCache(directory, options.ResourceCacheBytes, onChange: cache =>
        {
            var holdings = cache.Holdings;
            Log.ResourcesHeld(logger, directory, holdings.Count, ByteSizes.Format(holdings.Sum(h => h.Bytes)), ByteSizes.Format(options.ResourceCacheBytes));
        });
    }

    public static void Remove(ResourceCache cache) => ProcessRunner.TryDelete(cache.Folder);

    private static void RemoveAbandoned(string workDirectory)
    {
        if (!Directory.Exists(workDirectory)) return;
        foreach (var folder in Directory.GetDirectories(workDirectory, Prefix + "*"))
        {
            // The pid names the worker that owns it; a pid with no process means the worker is gone.
            if (int.TryParse(Path.GetFileName(folder)[Prefix.Length..], out var pid) && PosixProcess.IsAlive(pid) == false)
                ProcessRunner.TryDelete(folder);
        }
    }
}
