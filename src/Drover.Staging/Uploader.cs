using System.Net.Http;
using Amazon.S3;
using Amazon.S3.Model;
using Drover.Resilience;

namespace Drover.Staging;

/// <summary>
/// Uploads every file under a folder (a run's <c>$OUTPUT</c>) under an output prefix, keeping their
/// relative paths: into a local directory, as S3 objects, or with an HTTP PUT each; retried with backoff.
/// </summary>
public sealed class Uploader(BackoffPolicy? backoff = null, int attempts = 4)
{
    private readonly BackoffPolicy _backoff = backoff ?? Transfers.Backoff;

    /// <summary>The bytes uploaded.</summary>
    /// <exception cref="StagingException">An upload failed; the message names the URI.</exception>
    public async Task<long> UploadAsync(string folder, StagingSpec output, Action<long> progress, CancellationToken cancellationToken)
    {
        var files = Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();
        using var s3 = output.Uri.Scheme == "s3" ? S3Clients.FromEnvironment() : null;
        long total = 0;
        foreach (var file in files)
        {
            var relative = Path.GetRelativePath(folder, file).Replace('\\', '/');
            var size = new FileInfo(file).Length;
            var target = new Uri(output.Uri, string.Join('/', relative.Split('/').Select(Uri.EscapeDataString)));
            await Retry.RunAsync(_ => PutAsync(s3, file, target, cancellationToken), _backoff, attempts, cancellationToken);
            total += size;
            progress(total);
        }
        return total;
    }

    private static async Task<bool> PutAsync(AmazonS3Client? s3, string file, Uri target, CancellationToken cancellationToken)
    {
        switch (target.Scheme)
        {
            case "file":
                Directory.CreateDirectory(Path.GetDirectoryName(target.LocalPath)!);
                File.Copy(file, target.LocalPath, overwrite: true);
                return true;
            case "s3":
                var (bucket, key) = S3Clients.Split(target);
                try
                {
                    await s3!.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = key, FilePath = file, UseChunkEncoding = false }, cancellationToken);
                }
                catch (AmazonS3Exception ex)
                {
                    throw S3Clients.Failure(target, ex);
                }
                return true;
            default:
                await using (var content = File.OpenRead(file))
                {
                    using var response = await Transfers.Http.PutAsync(target, new StreamContent(content), cancellationToken);
                    var status = (int)response.StatusCode;
                    if (status is < 200 or > 299) throw new StagingException($"{target}: {status} {response.ReasonPhrase}", status >= 500);
                }
                return true;
        }
    }
}
