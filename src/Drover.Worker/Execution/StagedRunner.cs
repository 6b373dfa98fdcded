using System.Diagnostics;
using Drover.Client;
using Drover.Contracts;
using Drover.Model;
using Drover.Staging;

namespace Drover.Worker.Execution;

/// <summary>
/// Runs a task with data in three phases, each reported: <c>staging</c> (inputs and resources
/// fetched into the run's folder), <c>running</c> (the inner runner, given the folder), and
/// <c>uploading</c> (<c>output/</c> sent to the task's output, after a success or, with
/// <c>output_on: always</c>, after any run). A failed transfer fails the execution with a reason
/// that names it. A task without data goes straight to the inner runner. A cache task whose key
/// an earlier success has is not run: that task's outputs are copied to its output instead.
/// </summary>
public sealed class StagedRunner(ITaskRunner inner, DataStager stager, ResultCache cache, string workDirectory) : ITaskRunner
{
    public bool CanRun(LeasedTask lease) => inner.CanRun(lease);

    public async Task<ReportEvent> RunAsync(RunningTask task)
    {
        var lease = task.Lease;
        if (!DataStager.HasData(lease) && !lease.Cache) return await inner.RunAsync(task);

        var folder = RunFolder.Create(Path.Combine(workDirectory, lease.ExecutionId.ToString()));
        var transfer = new TransferRecord { Phase = ExecutionPhase.Staging, Folder = folder.Root };
        List<ResourceLease> held = [];
        try
        {
            task.MarkStarted(transfer);
            var key = lease.Cache ? await ResultCache.KeyAsync(lease, task.Stopping) : null;
            if (key is not null && await ReuseAsync(task, key, folder, transfer) is { } reused) return reused;

            var clock = Stopwatch.StartNew();
            try
            {
                (var bytesIn, held) = await stager.StageAsync(lease, folder, task.Stopping);
                transfer = transfer with { Phase = ExecutionPhase.Running, BytesIn = bytesIn, StagingSeconds = clock.Elapsed.TotalSeconds };
            }
            catch (Exception ex) when (ex is StagingException or OperationCanceledException)
            {
                transfer = transfer with { StagingSeconds = clock.Elapsed.TotalSeconds };
                var why = ex is StagingException ? ex.Message : "stopped while staging";
                return task.Finished(exitCode: null, error: why) with { Transfer = transfer };
            }
            task.ReportPhase(transfer);
            task.Folder = folder;
            var finished = await inner.RunAsync(task) with { CacheKey = key };

            var succeeded = finished is { ExitCode: 0, TimedOut: false, Error: null };
            if (lease.Output is null || task.Stopping.IsCancellationRequested || !(succeeded || lease.OutputOn == OutputOn.Always))
                return finished with { Transfer = transfer };
            transfer = transfer with { Phase = ExecutionPhase.Uploading };
            task.ReportPhase(transfer);
            clock.Restart();
            try
            {
                var bytesOut = await stager.UploadAsync(lease, folder, task.Stopping);
                return finished with { Transfer = transfer with { BytesOut = bytesOut, UploadSeconds = clock.Elapsed.TotalSeconds } };
            }
            catch (Exception ex) when (ex is StagingException or OperationCanceledException)
            {
                var why = ex is StagingException ? ex.Message : "stopped while uploading";
                return finished with { Error = finished.Error ?? why, Transfer = transfer with { UploadSeconds = clock.Elapsed.TotalSeconds } };
            }
        }
        finally
        {
            foreach (var resource in held) resource.Dispose();
            ProcessRunner.TryDelete(folder.Root);
        }
    }

    /// <summary>
    /// A cache hit ends the task succeeded without running it, the earlier outputs copied; null means
    /// run it: no earlier success, the server cannot say, or the earlier outputs are gone.
    /// </summary>
    private async Task<ReportEvent?> ReuseAsync(RunningTask task, string key, RunFolder folder, TransferRecord transfer)
    {
        CachedResult? hit;
        try
        {
            hit = await cache.FindAsync(key, task.Stopping);
        }
        catch (Exception ex) when (ex is DroverApiException or DroverUnavailableException)
        {
            return null;
        }
        if (hit is null) return null;
        var clock = Stopwatch.StartNew();
        long bytesIn = 0, bytesOut = 0;
        if (hit.Output is not null && task.Lease.Output is not null)
        {
            try
            {
                (bytesIn, bytesOut) = await stager.CopyEarlierOutputAsync(hit.Output, task.Lease, folder, task.Stopping);
            }
            catch (StagingException)
            {
                // Whatever arrived of the earlier outputs must not mix with the run's own.
                ProcessRunner.TryDelete(folder.Output);
                Directory.CreateDirectory(folder.Output);
                return null;
            }
        }
        return task.Finished(exitCode: 0) with
        {
            CachedFrom = hit.TaskId,
            CacheKey = key,
            Transfer = transfer with { Phase = ExecutionPhase.Uploading, BytesIn = bytesIn, BytesOut = bytesOut, UploadSeconds = clock.Elapsed.TotalSeconds },
        };
    }
}
