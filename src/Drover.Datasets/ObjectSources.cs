using Amazon.S3;
using Amazon.S3.Model;
using Drover.Contracts;
using Drover.Staging;

namespace Drover.Datasets;

/// <summary>
/// Where a distribution's files come from: a local (or shared) directory (<c>file:///dir/</c>), an
/// S3-compatible store (<c>s3://bucket/prefix/</c>), or a web server (<c>https://host/dir/</c>, whose
/// file names are given since a web server cannot be listed). The server lists; each worker fetches.
/// </summary>
public static class ObjectSources
{
    /// <summary>The Parquet files of a source, as shards (file name without <c>.parquet</c>) with their URLs and sizes where known.</summary>
    /// <exception cref="ArgumentException">The source or a file name is not usable (the message says why).</exception>
    public static async Task<IReadOnlyList<StageFile>> ListAsync(string source, IReadOnlyList<string>? files, CancellationToken cancellationToken)
    {
        if (!Uri.TryCreate(source, UriKind.Absolute, out var uri)) throw new ArgumentException("must be an absolute URI such as file:///srv/trips/ or s3://bucket/trips/");
        var listed = uri.Scheme switch
        {
            "file" => ListDirectory(uri),
            "s3" => await ListBucketAsync(uri, cancellationToken),
            "http" or "https" => files is { Count: > 0 }
                ? [.. files.Select(f => new StageFile(ShardOf(f), new Uri(uri, Uri.EscapeDataString(f)).ToString(), null))]
                : throw new ArgumentException("an http(s) source cannot be listed: name its files in 'files'"),
            _ => throw new ArgumentException($"the scheme '{uri.Scheme}' is not one of file, s3, http, https"),
        };
        if (listed.Count == 0) throw new ArgumentException($"{source} holds no .parquet file");
        var duplicate = listed.GroupBy(f => f.Shard, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new ArgumentException($"the shard '{duplicate.Key}' appears twice");
        return listed;
    }

    private static readonly Fetcher Fetcher = new();

    /// <summary>
    /// Downloads one file to <paramref name="destination"/> (retried, resumed where the server allows),
    /// telling how many bytes have arrived so far, and puts it on disk before returning.
    /// </summary>
    /// <exception cref="StagingException">It could not be fetched; the message names the URL.</exception>
    public static async Task FetchAsync(string url, string destination, Action<long> progress, CancellationToken cancellationToken)
    {
        await Fetcher.DownloadAsync(new Uri(url), destination, progress, cancellationToken);
        using var written = File.OpenHandle(destination, FileMode.Open, FileAccess.ReadWrite);
        RandomAccess.FlushToDisk(written);
    }

    private static List<StageFile> ListDirectory(Uri uri)
    {
        var directory = uri.LocalPath;
        if (File.Exists(directory)) return [new StageFile(ShardOf(Path.GetFileName(directory)), uri.ToString(), new FileInfo(directory).Length)];
        if (!Directory.Exists(directory)) throw new ArgumentException($"there is no directory {directory} on the server's machine");
        return [.. Directory.EnumerateFiles(directory, "*.parquet").Order(StringComparer.Ordinal)
            .Select(f => new StageFile(ShardOf(Path.GetFileName(f)), new Uri(f).ToString(), new FileInfo(f).Length))];
    }

    private static async Task<List<StageFile>> ListBucketAsync(Uri uri, CancellationToken cancellationToken)
    {
        var prefix = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/'));
        using var s3 = S3Clients.FromEnvironment();
        var files = new List<StageFile>();
        var request = new ListObjectsV2Request { BucketName = uri.Host, Prefix = prefix };
        try
        {
            while (true)
            {
                var page = await s3.ListObjectsV2Async(request, cancellationToken);
                foreach (var item in page.S3Objects ?? [])
                {
                    var name = item.Key[prefix.Length..];
                    // Directly under the prefix only: a deeper key is another dataset's business.
                    if (name.Contains('/', StringComparison.Ordinal) || !name.EndsWith(".parquet", StringComparison.Ordinal)) continue;
                    files.Add(new StageFile(ShardOf(name), $"s3://{uri.Host}/{item.Key}", item.Size));
                }
                if (page.IsTruncated != true) break;
                request.ContinuationToken = page.NextContinuationToken;
            }
        }
        catch (AmazonS3Exception ex)
        {
            throw new ArgumentException($"cannot list {uri}: {ex.Message}", ex);
        }
        return [.. files.OrderBy(f => f.Shard, StringComparer.Ordinal)];
    }

    private static string ShardOf(string fileName)
    {
        if (!fileName.EndsWith(".parquet", StringComparison.Ordinal)) throw new ArgumentException($"'{fileName}' is not a .parquet file");
        var shard = fileName[..^".parquet".Length];
        return DatasetNames.IsValid(shard) ? shard : throw new ArgumentException($"'{fileName}': a shard's name {DatasetNames.Rule}");
    }
}
