using System.Net;
using System.Net.Http.Headers;
using Amazon.S3;
using Amazon.S3.Model;
using Drover.Resilience;

namespace Drover.Staging;

/// <summary>
/// Fetches a staging URI into a folder and applies its actions: a file from <c>file://</c>,
/// <c>http(s)://</c> (retried with backoff, resumed with <c>Range</c> where the server allows) or
/// <c>s3://</c>; a folder from a local directory or an S3 prefix. It downloads into a private folder
/// first, so what appears under the destination is complete, and unpacked.
/// </summary>
public sealed class Fetcher(BackoffPolicy? backoff = null, int attempts = 4)
{
    private readonly BackoffPolicy _backoff = backoff ?? Transfers.Backoff;

    /// <summary>Fetches <paramref name="spec"/> into <paramref name="folder"/> (or its <c>|mv:SUB</c>); the bytes downloaded.</summary>
    /// <param name="progress">Bytes downloaded so far, as they arrive.</param>
    /// <param name="size">The bytes to download in all, once known (from the answer's length, the listing, the files).</param>
    /// <exception cref="StagingException">The fetch or an action failed; the message names the URI.</exception>
    public async Task<long> FetchAsync(StagingSpec spec, string folder, Action<long> progress, CancellationToken cancellationToken, Action<long>? size = null)
    {
        var what = spec.ToString();
        var target = spec.Actions.LastOrDefault(a => a.Name == "mv") is { } mv ? SafePaths.Under(folder, mv.Argument!, what) : folder;
        var work = Directory.CreateDirectory(Path.Combine(folder, $".fetch-{Guid.NewGuid():N}")).FullName;
        try
        {
            var bytes = spec.IsFolder switch
            {
                false => await DownloadAsync(spec.Uri, Path.Combine(work, spec.FileName), progress, cancellationToken, size),
                true when spec.Uri.Scheme == "file" => CopyFolder(spec, work, progress, size),
                true when spec.Uri.Scheme == "s3" => await GetPrefixAsync(spec, work, progress, size, cancellationToken),
                true => throw new StagingException($"{what}: an http(s) folder cannot be listed; name its files"),
            };
            foreach (var action in spec.Actions.Where(a => a.Name != "mv")) Unpacker.Apply(action, work, what);
            MoveInto(work, Directory.CreateDirectory(target).FullName);
            return bytes;
        }
        finally
        {
            if (Directory.Exists(work)) Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>
    /// Downloads one file to <paramref name="path"/> as it is, with retries: the bytes that arrived.
    /// A failure names the URI (<c>s3://b/k: 404 NoSuchKey</c>, <c>https://h/f: 403 Forbidden</c>).
    /// </summary>
    /// <exception cref="StagingException">It could not be fetched.</exception>
    public async Task<long> DownloadAsync(Uri uri, string path, Action<long> progress, CancellationToken cancellationToken, Action<long>? size = null)
    {
        switch (uri.Scheme)
        {
            case "file":
                if (!File.Exists(uri.LocalPath)) throw new StagingException($"{uri}: no such file");
                await using (var input = File.OpenRead(uri.LocalPath))
                await using (var output = File.Create(path))
                {
                    size?.Invoke(input.Length);
                    return await CopyAsync(input, output, 0, progress, cancellationToken);
                }
            case "s3":
                using (var s3 = S3Clients.FromEnvironment())
                {
                    var (bucket, key) = S3Clients.Split(uri);
                    return await GetObjectAsync(s3, uri, bucket, key, path, 0, progress, size, cancellationToken);
                }
            case "http" or "https":
                return await GetUrlAsync(uri, uri, path, progress, size, cancellationToken);
            default:
                throw new StagingException($"{uri}: the scheme is not one of {string.Join(", ", StagingSpec.Schemes)}");
        }
    }

    private static long CopyFolder(StagingSpec spec, string work, Action<long> progress, Action<long>? size)
    {
        var path = spec.Uri.LocalPath;
        if (!Directory.Exists(path)) throw new StagingException($"{spec}: no such directory");
        var files = Directory.GetFiles(path, "*", SearchOption.AllDirectories);
        size?.Invoke(files.Sum(f => new FileInfo(f).Length));
        long total = 0;
        foreach (var file in files)
        {
            var copy = Path.Combine(work, Path.GetRelativePath(path, file));
            Directory.CreateDirectory(Path.GetDirectoryName(copy)!);
            File.Copy(file, copy);
            total += new FileInfo(file).Length;
            progress(total);
        }
        return total;
    }

    private async Task<long> GetPrefixAsync(StagingSpec spec, string work, Action<long> progress, Action<long>? size, CancellationToken cancellationToken)
    {
        using var s3 = S3Clients.FromEnvironment();
        var (bucket, key) = S3Clients.Split(spec.Uri);
        long total = 0;
        long listed = 0;
        var request = new ListObjectsV2Request { BucketName = bucket, Prefix = key };
        while (true)
        {
            ListObjectsV2Response page;
            try
            {
                page = await Retry.RunAsync(_ => s3.ListObjectsV2Async(request, cancellationToken), _backoff, attempts, cancellationToken);
            }
            catch (AmazonS3Exception ex)
            {
                throw S3Clients.Failure(spec.Uri, ex);
            }
            // Known a page at a time: the total grows as the listing goes on.
            listed += (page.S3Objects ?? []).Sum(o => o.Size ?? 0);
            size?.Invoke(listed);
            foreach (var item in page.S3Objects ?? [])
            {
                if (item.Key.EndsWith('/')) continue;
                var path = SafePaths.Under(work, item.Key[key.Length..], spec.ToString());
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                total += await GetObjectAsync(s3, new Uri($"s3://{bucket}/{item.Key}"), bucket, item.Key, path, total, progress, size: null, cancellationToken);
            }
            if (page.IsTruncated != true) return total;
            request.ContinuationToken = page.NextContinuationToken;
        }
    }

    /// <summary>
    /// An object is fetched as a presigned GET through the shared HTTP client: the SDK's own stream
    /// hashes every byte (MD5, against the ETag) and halves the throughput, and a plain GET resumes
    /// with a <c>Range</c> after a dropped connection, which the SDK's does not.
    /// </summary>
    private async Task<long> GetObjectAsync(AmazonS3Client s3, Uri uri, string bucket, string key, string path, long before, Action<long> progress,
        Action<long>? size, CancellationToken cancellationToken)
    {
        var url = new Uri(await S3Clients.PresignAsync(s3, bucket, key, HttpVerb.GET));
        return await GetUrlAsync(uri, url, path, n => progress(before + n), size, cancellationToken);
    }

    /// <summary>A GET that resumes from what has arrived when the server answers a <c>Range</c> with 206, and starts over when it does not.</summary>
    /// <param name="shown">What a failure names: the task's URI, not a presigned URL with its signature.</param>
    private Task<long> GetUrlAsync(Uri shown, Uri url, string path, Action<long> progress, Action<long>? size, CancellationToken cancellationToken) =>
        Retry.RunAsync(async _ =>
        {
            var have = File.Exists(path) ? new FileInfo(path).Length : 0;
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            if (have > 0) request.Headers.Range = new RangeHeaderValue(have, null);
            using var response = await Transfers.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            var status = (int)response.StatusCode;
            if (response.StatusCode is not (HttpStatusCode.OK or HttpStatusCode.PartialContent))
            {
                var transient = status >= 500 || response.StatusCode is HttpStatusCode.TooManyRequests or HttpStatusCode.RequestTimeout;
                var why = shown.Scheme == "s3" ? await S3Clients.ErrorCodeAsync(response, cancellationToken) : response.ReasonPhrase;
                throw new StagingException($"{shown}: {status} {why}", transient);
            }
            var resumed = have > 0 && response.StatusCode == HttpStatusCode.PartialContent;
            if (response.Content.Headers.ContentLength is { } length) size?.Invoke((resumed ? have : 0) + length);
            await using var output = new FileStream(path, resumed ? FileMode.Append : FileMode.Create, FileAccess.Write);
            await using var input = await response.Content.ReadAsStreamAsync(cancellationToken);
            return await CopyAsync(input, output, resumed ? have : 0, progress, cancellationToken);
        }, _backoff, attempts, cancellationToken);

    private static async Task<long> CopyAsync(Stream input, Stream output, long start, Action<long> progress, CancellationToken cancellationToken)
    {
        // Two large buffers: the next read fills one while the other is written, so the socket and
        // the disk work at once instead of taking turns.
        var buffers = new[] { new byte[1 << 20], new byte[1 << 20] };
        var total = start;
        var writing = Task.CompletedTask;
        try
        {
            for (var turn = 0; ; turn ^= 1)
            {
                var read = await input.ReadAsync(buffers[turn], cancellationToken);
                await writing;
                if (read == 0) return total;
                writing = output.WriteAsync(buffers[turn].AsMemory(0, read), cancellationToken).AsTask();
                total += read;
                progress(total);
            }
        }
        catch when (!writing.IsCompleted)
        {
            // The read failed with a write under way: let it end before the caller closes the file.
            await writing.ContinueWith(_ => { }, TaskScheduler.Default);
            throw;
        }
    }

    /// <summary>Moves what the private folder holds into the destination, merging folders, replacing files.</summary>
    private static void MoveInto(string from, string to)
    {
        foreach (var file in Directory.GetFiles(from)) File.Move(file, Path.Combine(to, Path.GetFileName(file)), overwrite: true);
        foreach (var directory in Directory.GetDirectories(from))
        {
            var target = Path.Combine(to, Path.GetFileName(directory));
            if (Directory.Exists(target)) MoveInto(directory, target);
            else Directory.Move(directory, target);
        }
    }
}
