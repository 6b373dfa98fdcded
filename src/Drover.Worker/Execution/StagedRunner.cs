using System.Diagnostics;
using Drover.Contracts;
using Drover.Model;
using Drover.Staging;

namespace Drover.Worker.Execution;

/// <summary>
/// Runs a task with data in three phases, each reported: <c>staging</c> (inputs and resources
/// fetched into the run's folder), <c>running</c> (the inner runner, given the folder), and
/// <c>uploading</c> (<c>output/</c> sent to the task's output, after a success or, with
/// <c>output_on: always</c>, after any run). A failed transfer fails the execution with a reason
/// that names it. A task without data goes straight to the inner runner.
/// </summary>
public sealed class StagedRunner(ITaskRunner inner, DataStager stager, string workDirectory) : ITaskRunner
{
    public bool CanRun(LeasedTask lease) => inner.CanRun(lease);

    public async Task<ReportEvent> RunAsync(RunningTask task)
    {
        var lease = task.Lease;
        if (!DataStager.HasData(lease)) return await inner.RunAsync(task);

        var folder = RunFolder.Create(Path.Combine(workDirectory, lease.ExecutionId.ToString()));
        var transfer = new TransferRecord { Phase = ExecutionPhase.Staging, Folder = folder.Root };
        List<ResourceLease> held = [];
        try
        {
            task.MarkStarted(transfer);
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
            var finished = await inner.RunAsync(task);

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
}
