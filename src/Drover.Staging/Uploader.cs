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

    /// <summary>What one PUT may carry to S3; a larger file goes in parts.</summary>
    private const long SinglePutLimit = 5L << 30;

    private static async Task<bool> PutAsync(AmazonS3Client? s3, string file, Uri target, CancellationToken cancellationToken)
    {
        switch (target.Scheme)
        {
            case "file":
                Directory.CreateDirectory(Path.GetDirectoryName(target.LocalPath)!);
                File.Copy(file, target.LocalPath, overwrite: true);
                return true;
            case "s3" when new FileInfo(file).Length > SinglePutLimit:
                var (bucket, key) = S3Clients.Split(target);
                try
                {
                    using var transfer = new Amazon.S3.Transfer.TransferUtility(s3!);
                    await transfer.UploadAsync(file, bucket, key, cancellationToken);
                }
                catch (AmazonS3Exception ex)
                {
                    throw S3Clients.Failure(target, ex);
                }
                return true;
            case "s3":
                // A presigned PUT through the shared HTTP client: the SDK's own would hash every byte
                // twice (SHA-256 to sign the payload, MD5 for Content-MD5) before sending it.
                (bucket, key) = S3Clients.Split(target);
                await PutHttpAsync(target, new Uri(await S3Clients.PresignAsync(s3!, bucket, key, HttpVerb.PUT)), file, cancellationToken);
                return true;
            default:
                await PutHttpAsync(target, target, file, cancellationToken);
                return true;
        }
    }

    /// <param name="shown">What a failure names: the output's URI, not a presigned URL with its signature.</param>
    private static async Task PutHttpAsync(Uri shown, Uri url, string file, CancellationToken cancellationToken)
    {
        await using var content = File.OpenRead(file);
        using var response = await Transfers.Http.PutAsync(url, new StreamContent(content, 1 << 16), cancellationToken);
        var status = (int)response.StatusCode;
        if (status is < 200 or > 299)
        {
            var why = shown.Scheme == "s3" ? await S3Clients.ErrorCodeAsync(response, cancellationToken) : response.ReasonPhrase;
            throw new StagingException($"{shown}: {status} {why}", status >= 500 || status == 429);
        }
    }
}
