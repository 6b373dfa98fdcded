using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Amazon.S3;
using Amazon.S3.Model;

namespace Drover.Staging;

/// <summary>
/// What identifies the version of a remote file or folder without fetching it: its ETag, or its size
/// and modification time. A resource whose version changed is fetched again.
/// </summary>
public static class RemoteVersion
{
    /// <exception cref="StagingException">The remote cannot be asked (it is missing, or refused).</exception>
    public static async Task<string> ProbeAsync(StagingSpec spec, CancellationToken cancellationToken)
    {
        var uri = spec.Uri;
        switch (uri.Scheme)
        {
            case "file" when spec.IsFolder:
                if (!Directory.Exists(uri.LocalPath)) throw new StagingException($"{spec}: no such directory");
                return Digest(Directory.EnumerateFiles(uri.LocalPath, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal)
                    .Select(f => $"{Path.GetRelativePath(uri.LocalPath, f)}:{SizeAndTime(new FileInfo(f))}"));
            case "file":
                if (!File.Exists(uri.LocalPath)) throw new StagingException($"{spec}: no such file");
                return SizeAndTime(new FileInfo(uri.LocalPath));
            case "s3":
                using (var s3 = S3Clients.FromEnvironment())
                {
                    var (bucket, key) = S3Clients.Split(uri);
                    try
                    {
                        if (!spec.IsFolder) return (await s3.GetObjectMetadataAsync(bucket, key, cancellationToken)).ETag;
                        var etags = new List<string>();
                        var request = new ListObjectsV2Request { BucketName = bucket, Prefix = key };
                        while (true)
                        {
                            var page = await s3.ListObjectsV2Async(request, cancellationToken);
                            etags.AddRange((page.S3Objects ?? []).Select(o => $"{o.Key}:{o.ETag}"));
                            if (page.IsTruncated != true) return Digest(etags);
                            request.ContinuationToken = page.NextContinuationToken;
                        }
                    }
                    catch (AmazonS3Exception ex)
                    {
                        throw S3Clients.Failure(uri, ex);
                    }
                }
            default:
                using (var head = new HttpRequestMessage(HttpMethod.Head, uri))
                using (var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
                {
                    // A HEAD is small: a server that sits on it is not waited for as a download would be.
                    bounded.CancelAfter(TimeSpan.FromSeconds(60));
                    using var response = await Transfers.Http.SendAsync(head, bounded.Token);
                    // A server that does not answer HEAD gives no version: the first fetch is kept.
                    if (response.StatusCode is System.Net.HttpStatusCode.MethodNotAllowed or System.Net.HttpStatusCode.NotImplemented) return "unversioned";
                    if (!response.IsSuccessStatusCode) throw new StagingException($"{uri}: {(int)response.StatusCode} {response.ReasonPhrase}", (int)response.StatusCode >= 500);
                    if (response.Headers.ETag is { } etag) return etag.Tag;
                    return $"{response.Content.Headers.ContentLength}:{response.Content.Headers.LastModified?.ToUnixTimeSeconds()}";
                }
        }
    }

    private static string SizeAndTime(FileInfo file) =>
        $"{file.Length.ToString(CultureInfo.InvariantCulture)}:{file.LastWriteTimeUtc.Ticks.ToString(CultureInfo.InvariantCulture)}";

    private static string Digest(IEnumerable<string> parts) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\n', parts))))[..32];
}
