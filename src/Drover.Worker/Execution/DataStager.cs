using System.Diagnostics;
using Drover.Contracts;
using Drover.Staging;
using Drover.Text;

namespace Drover.Worker.Execution;

/// <summary>
/// Moves a run's data: inputs fetched into <c>input/</c>, resources from the worker's cache linked
/// into <c>resource/</c>, and, after the run, <c>output/</c> uploaded. While it works, the task's
/// status message says how far it got (at most once a second).
/// </summary>
public sealed class DataStager(Fetcher fetcher, Uploader uploader, ResourceCache resources, Func<LeasedTask, StatusUpdate, CancellationToken, Task> status)
{
    private static readonly TimeSpan StatusInterval = TimeSpan.FromSeconds(1);

    public ResourceCache Resources { get; } = resources;

    /// <summary>A task whose run needs a folder of its own with data moved in or out.</summary>
    public static bool HasData(LeasedTask lease) =>
        lease.Input is not null || lease.Resource is not null || lease.Output is not null || lease.Container is not null;

    /// <summary>Fetches the inputs and resources; the resources stay held (and so cached) until the returned leases are disposed.</summary>
    /// <exception cref="StagingException">A fetch failed; the message names the input or resource and its URI.</exception>
    public async Task<(long Bytes, List<ResourceLease> Held)> StageAsync(LeasedTask lease, RunFolder folder, CancellationToken cancellationToken)
    {
        var progress = new StatusProgress(lease, status);
        long total = 0;
        var inputs = lease.Input ?? [];
        for (var i = 0; i < inputs.Count; i++)
        {
            var label = $"downloading input {i + 1}/{inputs.Count}";
            long size = -1; // unknown; set from the fetch's thread, read from the throttle's
            // "downloading input 3/10, 450 MB of 1.2 GB": this input's bytes, of its size once the remote said it.
            progress.Show(bytes => $"{label}, {ByteSizes.Format(bytes)}{(Interlocked.Read(ref size) is >= 0 and var s ? " of " + ByteSizes.Format(s) : "")}");
            total += await Named("input", inputs[i], () => fetcher.FetchAsync(StagingSpec.Parse(inputs[i]), folder.Input, progress.Report, cancellationToken, known => Interlocked.Exchange(ref size, known)));
        }
        var held = new List<ResourceLease>();
        try
        {
            var named = lease.Resource ?? [];
            for (var i = 0; i < named.Count; i++)
            {
                var label = $"fetching resource {i + 1}/{named.Count} (once per worker)";
                progress.Show(_ => label);
                progress.Report(0);
                var resource = await Named("resource", named[i], () => Resources.AcquireAsync(StagingSpec.Parse(named[i]), cancellationToken));
                held.Add(resource);
                total += resource.FetchedBytes;
                SharedFiles.Mirror(resource.Folder, folder.Resource);
            }
        }
        catch
        {
            foreach (var resource in held) resource.Dispose();
            throw;
        }
        await progress.DoneAsync(inputs.Count + (lease.Resource?.Count ?? 0) > 0
            ? $"staged {Count(inputs.Count, "input")}{(lease.Resource is { } r ? " and " + Count(r.Count, "resource") : "")}, {ByteSizes.Format(total)} downloaded"
            : null);
        return (total, held);
    }

    /// <summary>Uploads what the run left in <c>output/</c> under the task's output: the bytes uploaded.</summary>
    /// <exception cref="StagingException">An upload failed; the message names the output URI.</exception>
    public async Task<long> UploadAsync(LeasedTask lease, RunFolder folder, CancellationToken cancellationToken)
    {
        var progress = new StatusProgress(lease, status);
        progress.Show(bytes => $"uploading output, {ByteSizes.Format(bytes)}");
        var bytes = await Named("output", lease.Output!, () => uploader.UploadAsync(folder.Output, StagingSpec.ParseOutput(lease.Output!), progress.Report, cancellationToken));
        await progress.DoneAsync($"uploaded output, {ByteSizes.Format(bytes)}");
        return bytes;
    }

    /// <summary>
    /// A cache hit: the earlier task's outputs, fetched from where it uploaded them into this run's
    /// <c>output/</c>, and uploaded under this task's output. The bytes fetched and uploaded.
    /// </summary>
    /// <exception cref="StagingException">The earlier outputs are gone or cannot be read, or the upload failed.</exception>
    public async Task<(long In, long Out)> CopyEarlierOutputAsync(string earlierOutput, LeasedTask lease, RunFolder folder, CancellationToken cancellationToken)
    {
        var from = earlierOutput.EndsWith('/') ? earlierOutput : earlierOutput + "/";
        var bytesIn = await Named("cached output", from, () => fetcher.FetchAsync(StagingSpec.Parse(from), folder.Output, _ => { }, cancellationToken));
        return (bytesIn, await UploadAsync(lease, folder, cancellationToken));
    }

    private static string Count(int n, string what) => n == 1 ? $"1 {what}" : $"{n} {what}s";

    /// <summary>Runs a transfer; its failure names what it was for: <c>input s3://b/k: 403 Forbidden</c>.</summary>
    private static async Task<T> Named<T>(string role, string uri, Func<Task<T>> transfer)
    {
        try
        {
            return await transfer();
        }
        catch (StagingException ex)
        {
            throw new StagingException($"{role} {ex.Message}", ex.Transient, ex);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or HttpRequestException or Amazon.Runtime.AmazonClientException)
        {
            throw new StagingException($"{role} {uri}: {ex.Message}", transient: false, ex);
        }
    }

    /// <summary>The task's status message while data moves, sent at most once per interval, the last one always.</summary>
    private sealed class StatusProgress
    {
        private readonly LeasedTask _lease;
        private readonly Func<LeasedTask, StatusUpdate, CancellationToken, Task> _status;
        private readonly Datasets.ProgressThrottle _throttle;
        private volatile Func<long, string> _message = _ => "";

        public StatusProgress(LeasedTask lease, Func<LeasedTask, StatusUpdate, CancellationToken, Task> status)
        {
            _lease = lease;
            _status = status;
            _throttle = new Datasets.ProgressThrottle(bytes => SendAsync(_message(bytes)), StatusInterval);
        }

        public void Show(Func<long, string> message) => _message = message;

        public void Report(long bytes)
        {
            if (_lease.TaskToken is not null) _throttle.Report(bytes);
        }

        /// <summary>Lets the updates under way land, then says how it ended.</summary>
        public async Task DoneAsync(string? summary)
        {
            if (_lease.TaskToken is null) return;
            await _throttle.FlushAsync();
            if (summary is not null) await SendAsync(summary);
        }

        private async Task SendAsync(string message)
        {
            try
            {
                await _status(_lease, new StatusUpdate { Message = message }, CancellationToken.None);
            }
#pragma warning disable CA1031 // A status message is advisory: the transfer goes on whatever became of it.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                Debug.WriteLine(ex.Message);
            }
        }
    }
}
