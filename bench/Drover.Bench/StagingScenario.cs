using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Drover.Contracts;
using Drover.Model;
using Drover.Tests.Shared;

namespace Drover.Bench;

/// <summary>
/// <c>staging</c>: one large object on a local S3 API (s3rver), fetched as a task's input and
/// uploaded again as its output by a real worker, against a plain <c>curl</c> GET and PUT of the same
/// object (signed the same way) in the same run. The task links its input into its output, so the
/// figures are the transfers alone: the worker's staging and upload seconds, as it records them.
/// </summary>
internal static class StagingScenario
{
    private const string Bucket = "bench";

    public static async Task<Result> RunAsync(long bytes, int repeat)
    {
        if (bytes < 1 || repeat < 1) throw new ArgumentException("--size and --repeat must be at least 1");
        var root = Directory.CreateTempSubdirectory("drover-bench-staging-").FullName;
        Process? s3rver = null;
        try
        {
            var file = Path.Combine(root, "big.bin");
            WriteRandom(file, bytes);
            var port = Tests.Shared.FreePort.Next(); // below the ephemeral range: the tests run this beside others
            var endpoint = $"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}";
            s3rver = await StartS3rverAsync(Path.Combine(root, "s3"), port);
            var url = $"{endpoint}/{Bucket}/big.bin";

            var curlPut = new List<double>();
            var curlGet = new List<double>();
            for (var i = 0; i < repeat; i++)
            {
                curlPut.Add(await CurlAsync("-T", file, "-X", "PUT", url));
                curlGet.Add(await CurlAsync("-o", Path.Combine(root, "curl.bin"), url));
                File.Delete(Path.Combine(root, "curl.bin"));
            }

            var environment = new Dictionary<string, string>
            {
                ["AWS_ENDPOINT_URL"] = endpoint,
                ["AWS_ACCESS_KEY_ID"] = S3rverInstall.Key,
                ["AWS_SECRET_ACCESS_KEY"] = S3rverInstall.Key,
                ["AWS_REGION"] = "us-east-1",
            };
            await using var cluster = await LocalCluster.StartAsync("sqlite", workers: 1, concurrency: 1, prefetch: "0", environment: environment);
            using var client = cluster.Client();
            var staging = new List<double>();
            var upload = new List<double>();
            for (var i = 0; i < repeat; i++)
            {
                var spec = new TaskSpec
                {
                    Command = JsonSerializer.SerializeToElement("ln $INPUT/big.bin $OUTPUT/big.bin"),
                    Shell = JsonSerializer.SerializeToElement(true),
                    Input = JsonSerializer.SerializeToElement($"s3://{Bucket}/big.bin"),
                    Output = $"s3://{Bucket}/out-{i}/",
                };
                var created = await client.CreateTasksAsync([spec], CancellationToken.None);
                var ended = (await client.WaitAllAsync([created[0].Id], CancellationToken.None))[0];
                if (ended.Status != TaskState.Succeeded || ended.Transfer is not { } transfer)
                    throw new InvalidOperationException($"the staging task ended {ended.Status}: {ended.Reason}");
                if (transfer.BytesIn != bytes || transfer.BytesOut != bytes)
                    throw new InvalidOperationException($"the task moved {transfer.BytesIn} bytes in and {transfer.BytesOut} out, not {bytes}");
                staging.Add(transfer.StagingSeconds ?? 0);
                upload.Add(transfer.UploadSeconds ?? 0);
            }

            double MiBps(double seconds) => bytes / 1048576.0 / seconds;
            return new Result("staging")
                .Add("bytes", bytes).Add("repeat", repeat)
                .Add("curl_get_s", curlGet.Min()).Add("drover_staging_s", staging.Min())
                .Add("curl_get_mib_s", MiBps(curlGet.Min())).Add("drover_staging_mib_s", MiBps(staging.Min()))
                .Add("staging_over_curl", staging.Min() / curlGet.Min())
                .Add("curl_put_s", curlPut.Min()).Add("drover_upload_s", upload.Min())
                .Add("upload_over_curl", upload.Min() / curlPut.Min());
        }
        finally
        {
            if (s3rver is { HasExited: false }) s3rver.Kill(entireProcessTree: true);
            s3rver?.Dispose();
            Directory.Delete(root, recursive: true);
        }
    }

    /// <summary>Incompressible bytes, so that nothing on the way can make the transfer cheaper than its size.</summary>
    private static void WriteRandom(string path, long bytes)
    {
        using var output = File.Create(path);
        var buffer = new byte[8 << 20];
        for (long written = 0; written < bytes; written += buffer.Length)
        {
            Random.Shared.NextBytes(buffer);
            output.Write(buffer, 0, (int)Math.Min(buffer.Length, bytes - written));
        }
    }

    private static async Task<Process> StartS3rverAsync(string directory, int port)
    {
        var entry = await S3rverInstall.EntryAsync();
        Directory.CreateDirectory(directory);
        var start = new ProcessStartInfo("node", [entry, "-d", directory, "-a", "127.0.0.1", "-p", port.ToString(CultureInfo.InvariantCulture), "--configure-bucket", Bucket])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetDirectoryName(entry)!,
        };
        var process = Process.Start(start)!;
        var listening = new TaskCompletionSource();
        process.OutputDataReceived += (_, line) => { if (line.Data?.Contains("S3rver listening", StringComparison.Ordinal) == true) listening.TrySetResult(); };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await listening.Task.WaitAsync(TimeSpan.FromSeconds(30));
        return process;
    }

    /// <summary>One signed curl request, as any S3 client sends it: its wall seconds.</summary>
    private static async Task<double> CurlAsync(params string[] args)
    {
        var start = new ProcessStartInfo("curl", ["-sS", "--fail", "--aws-sigv4", "aws:amz:us-east-1:s3", "--user", $"{S3rverInstall.Key}:{S3rverInstall.Key}",
            "-H", "x-amz-content-sha256: UNSIGNED-PAYLOAD", .. args]) { RedirectStandardError = true };
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(start)!;
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0) throw new InvalidOperationException($"curl {string.Join(' ', args)} failed: {await errors}");
        return clock.Elapsed.TotalSeconds;
    }
}
