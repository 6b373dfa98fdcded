using System.Globalization;
using Drover.Contracts;
using Drover.Datasets;
using Drover.Worker.Handlers;

namespace Drover.Worker.Datasets;

/// <summary>
/// A worker's part of a distribution, step by step as the server orders them: <c>fetch</c> downloads
/// the new generation's files into <c>gen-N.staging</c> (never seen by queries or the scanner) and
/// checks each is whole Parquet of the announced size; <c>switch</c> makes it <c>gen-N</c> by one
/// atomic rename, announces the files, and only then removes generations older than the one before
/// (which still serves queries planned before the server moved on); <c>drop</c> undoes a failed or
/// canceled ticket on this worker: its staging, and its generation if this worker had switched already
/// (the server still routes queries to the one before, which is kept). Nothing old is deleted before
/// the new is in place.
/// </summary>
internal sealed class ShardStager(string dataDirectory, Func<CancellationToken, Task> announce)
{
    public async Task<object> RunAsync(StageOrder order, HandlerContext context)
    {
        if (!DatasetNames.IsValid(order.Dataset)) throw new ArgumentException($"dataset: '{order.Dataset}' {DatasetNames.Rule}");
        if (order.Generation < 1) throw new ArgumentException("generation must be at least 1");
        var target = ShardScanner.GenerationDirectory(dataDirectory, order.Dataset, order.Generation);
        var staging = target + ShardScanner.StagingSuffix;
        switch (order.Action)
        {
            case "fetch":
                return await FetchAsync(order, staging, context);
            case "switch":
                if (!Directory.Exists(staging)) throw new InvalidOperationException($"nothing staged for generation {order.Generation} of {order.Dataset}");
                if (Directory.Exists(target)) throw new InvalidOperationException($"generation {order.Generation} of {order.Dataset} is here already");
                Directory.Move(staging, target);
                await announce(context.CancellationToken);
                Prune(order.Dataset, order.Generation);
                return new { switched = order.Generation };
            case "drop":
                DeleteIfThere(staging);
                DeleteIfThere(target);
                await announce(context.CancellationToken);
                return new { dropped = order.Generation };
            default:
                throw new ArgumentException($"action: '{order.Action}' is not fetch, switch or drop");
        }
    }

    private static async Task<object> FetchAsync(StageOrder order, string staging, HandlerContext context)
    {
        var files = order.Files ?? throw new ArgumentException("a fetch needs files");
        foreach (var file in files)
        {
            if (!DatasetNames.IsValid(file.Shard)) throw new ArgumentException($"shard: '{file.Shard}' {DatasetNames.Rule}");
        }
        DeleteIfThere(staging);
        Directory.CreateDirectory(staging);
        var total = files.Sum(f => f.Bytes ?? 0);
        long before = 0;
        var progress = new ProgressThrottle(done => Report(context, done, total), TimeSpan.FromMilliseconds(250));
        try
        {
            foreach (var file in files)
            {
                var part = Path.Combine(staging, file.Shard + ".parquet.part");
                var start = before;
                await ObjectSources.FetchAsync(file.Url, part, done => progress.Report(start + done), context.CancellationToken);
                var length = new FileInfo(part).Length;
                if (file.Bytes is { } expected && expected != length)
                    throw new IOException($"{file.Url}: {length.ToString(CultureInfo.InvariantCulture)} bytes arrived, {expected.ToString(CultureInfo.InvariantCulture)} were listed");
                using (var connection = ShardEngine.Open()) ShardEngine.Schema(connection, part);
                File.Move(part, Path.Combine(staging, file.Shard + ".parquet"));
                before += length;
                progress.Report(before);
            }
            await progress.FlushAsync();
            return new { files = files.Count, bytes = before };
        }
        catch
        {
            // A failed or canceled download leaves nothing behind.
            DeleteIfThere(staging);
            throw;
        }
    }

    /// <summary>
    /// Removes a directory if it is there. A canceled fetch cleans up while the drop that follows
    /// the cancel may already be removing the same files: whichever comes second finds less, not an error.
    /// </summary>
    private static void DeleteIfThere(string directory)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
                return;
            }
            catch (IOException) when (attempt < 3)
            {
                // The other deleter removed something from under this one: look again.
            }
        }
    }

    private static Task Report(HandlerContext context, long done, long total) =>
        context.Status($"{done.ToString(CultureInfo.InvariantCulture)}/{total.ToString(CultureInfo.InvariantCulture)} bytes", total > 0 ? Math.Min(1, (double)done / total) : null);

    /// <summary>After switching to N: generations before N-1 go (N-1 may still be serving queries planned before the server moved on).</summary>
    private void Prune(string dataset, long generation)
    {
        var datasetDirectory = Path.Combine(dataDirectory, dataset);
        foreach (var (files, _) in ShardScanner.Generations(datasetDirectory).Where(g => g.Generation < generation - 1))
        {
            if (files == datasetDirectory)
            {
                foreach (var file in Directory.EnumerateFiles(datasetDirectory, "*.parquet")) File.Delete(file);
            }
            else
            {
                Directory.Delete(files, recursive: true);
            }
        }
    }
}
