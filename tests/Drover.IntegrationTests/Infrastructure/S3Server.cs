using System.Diagnostics;
using System.Globalization;
using Amazon.Runtime;
using Amazon.S3;
using Drover.Tests.Shared;

namespace Drover.IntegrationTests.Infrastructure;

/// <summary>
/// A real S3 API on 127.0.0.1: s3rver (npm, runs offline) on a free port with one bucket, its files in
/// a temporary directory (installed by <see cref="S3rverInstall"/>).
/// </summary>
public sealed class S3Server : IAsyncDisposable
{
    private const string Key = S3rverInstall.Key;

    private readonly DroverProcess _process;
    private readonly string _directory;

    private S3Server(DroverProcess process, string directory, int port, string bucket)
    {
        _process = process;
        _directory = directory;
        Endpoint = new Uri($"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}");
        Bucket = bucket;
    }

    public Uri Endpoint { get; }

    public string Bucket { get; }

    /// <summary>What a Drover process needs to reach this store through the standard AWS variables.</summary>
    public IReadOnlyDictionary<string, string> Environment => new Dictionary<string, string>
    {
        ["AWS_ENDPOINT_URL"] = Endpoint.ToString().TrimEnd('/'),
        ["AWS_ACCESS_KEY_ID"] = Key,
        ["AWS_SECRET_ACCESS_KEY"] = Key,
        ["AWS_REGION"] = "us-east-1",
    };

    public static async Task<S3Server> StartAsync(string bucket)
    {
        var entry = await S3rverInstall.EntryAsync();
        var directory = Directory.CreateTempSubdirectory("drover-s3-").FullName;
        var port = FreePort.Next();
        var process = DroverProcess.StartProgram("node",
            [entry, "-d", directory, "-a", "127.0.0.1", "-p", port.ToString(CultureInfo.InvariantCulture),
                "--configure-bucket", bucket], workingDirectory: Path.GetDirectoryName(entry)!);
        await process.WaitForLineAsync("S3rver listening", TimeSpan.FromSeconds(30));
        return new S3Server(process, directory, port, bucket);
    }

    public AmazonS3Client Client() => new(new BasicAWSCredentials(Key, Key), new AmazonS3Config
    {
        ServiceURL = Endpoint.ToString(),
        AuthenticationRegion = "us-east-1",
        ForcePathStyle = true,
        // s3rver predates the SDK's default trailing checksums (aws-chunked bodies): it would store the chunk framing.
        RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
        ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
    });

    public async Task PutAsync(string key, string file, CancellationToken cancellationToken)
    {
        using var client = Client();
        await client.PutObjectAsync(new Amazon.S3.Model.PutObjectRequest { BucketName = Bucket, Key = key, FilePath = file, UseChunkEncoding = false }, cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        await _process.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }
}
