using System.Diagnostics;
using System.Globalization;
using Amazon.Runtime;
using Amazon.S3;

namespace Drover.IntegrationTests.Infrastructure;

/// <summary>
/// A real S3 API on 127.0.0.1: s3rver (npm, runs offline) on a free port with one bucket, its files in
/// a temporary directory. s3rver is installed once per machine into a cache directory
/// (<c>$DROVER_S3RVER_HOME</c>, else <c>~/.cache/drover-tests/s3rver-3.7.1</c>) with npm.
/// </summary>
public sealed class S3Server : IAsyncDisposable
{
    public const string Version = "3.7.1";
    /// <summary>s3rver's own fixed keys.</summary>
    public const string Key = "S3RVER";

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
        var home = await InstallAsync();
        var directory = Directory.CreateTempSubdirectory("drover-s3-").FullName;
        var port = FreePort.Next();
        var process = DroverProcess.StartProgram("node",
            [Path.Combine(home, "node_modules", "s3rver", "bin", "s3rver.js"), "-d", directory, "-a", "127.0.0.1", "-p", port.ToString(CultureInfo.InvariantCulture),
                "--configure-bucket", bucket], workingDirectory: home);
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

    /// <summary>s3rver's directory, installed with npm the first time (one install at a time across test processes).</summary>
    private static async Task<string> InstallAsync()
    {
        var home = System.Environment.GetEnvironmentVariable("DROVER_S3RVER_HOME") is { Length: > 0 } set
            ? set
            : Path.Combine(System.Environment.GetFolderPath(System.Environment.SpecialFolder.UserProfile), ".cache", "drover-tests", "s3rver-" + Version);
        var entry = Path.Combine(home, "node_modules", "s3rver", "bin", "s3rver.js");
        if (File.Exists(entry)) return home;
        Directory.CreateDirectory(home);
        await using var gate = await LockAsync(Path.Combine(home, ".install.lock"));
        if (File.Exists(entry)) return home;
        var npm = Process.Start(new ProcessStartInfo("npm", ["install", "--no-audit", "--no-fund", "--prefix", home, "s3rver@" + Version])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        }) ?? throw new InvalidOperationException("npm did not start");
        var output = npm.StandardOutput.ReadToEndAsync();
        var errors = npm.StandardError.ReadToEndAsync();
        await npm.WaitForExitAsync();
        if (npm.ExitCode != 0 || !File.Exists(entry))
            throw new InvalidOperationException($"npm install s3rver@{Version} failed ({npm.ExitCode}):\n{await output}\n{await errors}");
        return home;
    }

    private static async Task<FileStream> LockAsync(string path)
    {
        var until = DateTime.UtcNow + TimeSpan.FromMinutes(3);
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (DateTime.UtcNow < until)
            {
                await Task.Delay(200);
            }
        }
    }
}
