using System.Net.WebSockets;
using System.Threading.Channels;
using Drover.Contracts;
using Drover.Server.Auth;
using Drover.Storage;
using Microsoft.Extensions.Logging;

namespace Drover.Server.Dispatch;

/// <summary>
/// The server's end of one worker's channel (<see cref="ChannelFrame"/>). Three loops: one reads frames
/// (wants change the credit, reports queue in order), one applies the reports and acknowledges each
/// after its commit, and one pushes tasks while the worker has credit, the moment the store says they
/// are ready, along with signals and settings. No lease request is made and no long-poll re-armed.
/// </summary>
public sealed class WorkerChannel(Guid workerId, FrameSocket frames, ITaskStore store, StoreSignals signals, TaskTokens tokens,
    Datasets.DatasetCatalogue catalogue, ILogger logger)
{
    private readonly Lock _lock = new();
    private int _credit;
    private long _pushed;
    private bool _drained; // the last lease found fewer tasks than the credit allowed: nothing else was ready
    private readonly AsyncSignal _credited = new();
    /// <summary>
    /// Reports received and not yet applied. A worker sends one at a time; one that floods waits
    /// here (and, its socket no longer read, in TCP) rather than filling the server's memory.
    /// </summary>
    private readonly Channel<ChannelFrame> _reports = Channel.CreateBounded<ChannelFrame>(
        new BoundedChannelOptions(16) { SingleReader = true, SingleWriter = true, FullMode = BoundedChannelFullMode.Wait });

    public async Task RunAsync(CancellationToken stop)
    {
        using var ending = CancellationTokenSource.CreateLinkedTokenSource(stop);
        var applying = ApplyReportsAsync(ending.Token);
        var pushing = PushAsync(ending.Token);
        // Not cancelled when the server stops: cancelling a receive aborts the socket, and what was
        // given as the server stops (a drain) must still go out. It ends when either end closes.
        var receiving = ReceiveAsync(CancellationToken.None);
        await Task.WhenAny(receiving, applying, pushing, Task.Delay(Timeout.Infinite, stop));
        // Reports that reached us are still applied (a retry of them is harmless); pushing stops.
        _reports.Writer.TryComplete();
        var why = await Outcome(receiving) ?? await Outcome(applying) ?? await Outcome(pushing);
        await ending.CancelAsync();
        await Task.WhenAll(Quietly(applying), Quietly(pushing));
        if (why is not null) Log.ChannelEnded(logger, workerId, why);
        // The last word: signals and settings given until now (stop-all drains every worker as the server stops).
        if (!receiving.IsCompleted) await Quietly(SendInstructionsAsync(CancellationToken.None));
        await frames.CloseAsync(receiving);
    }

    private static async Task<string?> Outcome(Task loop)
    {
        if (!loop.IsCompleted) return null;
        try
        {
            await loop;
            return null;
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException)
        {
            return null;
        }
        catch (Exception ex)
        {
            return ex.Message;
        }
    }

    private static async Task Quietly(Task loop)
    {
        try
        {
            await loop;
        }
        catch (Exception)
        {
            // Already told (Outcome) or a consequence of the channel ending.
        }
    }

    private async Task ReceiveAsync(CancellationToken stop)
    {
        try
        {
            await ReceiveFramesAsync(stop);
        }
        catch (InvalidDataException ex)
        {
            await RefuseAsync(400, ex.Message);
        }
    }

    private async Task ReceiveFramesAsync(CancellationToken stop)
    {
        while (await frames.ReceiveAsync(stop) is { } frame)
        {
            switch (frame.Type)
            {
                case ChannelFrameType.Want when frame.Max is >= 0 and <= Endpoints.WorkerEndpoints.MaxLease && frame.Received is >= 0 and var received:
                    bool more;
                    lock (_lock)
                    {
                        if (received > _pushed) throw new InvalidDataException("a want counts more tasks received than were sent");
                        // Tasks sent since are in flight and take room the worker did not know it gave.
                        var credit = (int)Math.Max(0, frame.Max.Value - (_pushed - received));
                        more = credit > _credit && !_drained;
                        _credit = credit;
                    }
                    // Only more room is worth a look at the store, and only when its last look may have left
                    // tasks behind; otherwise the next "tasks ready" wakes the pusher. Less room takes effect at the next push.
                    if (more) _credited.Pulse();
                    break;
                case ChannelFrameType.Report when frame is { Seq: not null, Report: not null }:
                    await _reports.Writer.WriteAsync(frame, stop);
                    break;
                default:
                    await RefuseAsync(400, $"a {frame.Type} frame is not expected from a worker, or lacks its fields (want: max 0..{Endpoints.WorkerEndpoints.MaxLease} and received; report: seq and report)");
                    return;
            }
        }
    }

    private async Task ApplyReportsAsync(CancellationToken stop)
    {
        await foreach (var frame in _reports.Reader.ReadAllAsync(CancellationToken.None))
        {
            ChannelFrame ack;
            if (WorkerProtocol.Check(frame.Report!) is { IsEmpty: false } errors)
            {
                ack = new ChannelFrame { Type = ChannelFrameType.Ack, Seq = frame.Seq, Status = 400, Detail = errors.ToString() };
            }
            else
            {
                try
                {
                    ack = new ChannelFrame { Type = ChannelFrameType.Ack, Seq = frame.Seq, Result = await WorkerProtocol.ApplyAsync(workerId, frame.Report!, store, signals, catalogue) };
                }
                catch (UnknownWorkerException)
                {
                    await RefuseAsync(404, $"worker {workerId} is not registered here: register again");
                    return;
                }
            }
            if (!stop.IsCancellationRequested) await frames.SendAsync(ack, stop);
        }
    }

    private async Task PushAsync(CancellationToken stop)
    {
        var signaled = signals.WorkerSignal(workerId);
        // A channel for a worker the store does not know (a memory store restarted) would wait for nothing.
        if (await store.GetWorkerAsync(workerId, CancellationToken.None) is null)
            await RefuseAsync(404, $"worker {workerId} is not registered here: register again");
        while (!stop.IsCancellationRequested)
        {
            // Taken before looking, so that a commit in between is not missed.
            var wake = Task.WhenAny(signals.TasksReady.WaitHandle, signaled.WaitHandle, _credited.WaitHandle);
            int credit;
            lock (_lock)
            {
                credit = _credit;
                // Woken with no credit (tasks became ready, say): they wait for the worker's next want.
                if (credit == 0) _drained = false;
            }
            IReadOnlyList<LeasedTask> leased = [];
            var again = false;
            if (credit > 0)
            {
                try
                {
                    leased = await store.LeaseAsync(workerId, credit, CancellationToken.None);
                }
                catch (UnknownWorkerException)
                {
                    await RefuseAsync(404, $"worker {workerId} is not registered here: register again");
                    return;
                }
                lock (_lock)
                {
                    _credit = Math.Max(0, _credit - leased.Count);
                    _pushed += leased.Count;
                    _drained = leased.Count < credit;
                    // A want that raised the credit while this lease was on its way woke no one if the
                    // lease before had found too little (_drained, as it then was): with credit left
                    // and a lease that took all it asked for, more may be ready, so look again now.
                    // (Else a worker whose want came then waited with a slot free and a task queued.)
                    again = !_drained && _credit > 0;
                }
                if (leased.Count > 0)
                {
                    await frames.SendAsync(new ChannelFrame { Type = ChannelFrameType.Tasks, Tasks = WorkerProtocol.WithTaskTokens(leased, tokens) }, stop);
                }
            }
            // Not cut short by a stop: once taken from the store, they must reach the worker.
            await SendInstructionsAsync(CancellationToken.None);
            // No second look right away (but for the case above): a lease that took less than the
            // credit found nothing else ready, and one that took all of it left no credit; what becomes
            // ready or credited since the wake was taken has completed it already. (Looking again cost
            // an empty lease, a transaction, per push.)
            if (again) continue;
            await wake.WaitAsync(stop);
        }
    }

    /// <summary>Signals for the worker's executions and its new settings, when any wait.</summary>
    private async Task SendInstructionsAsync(CancellationToken cancellationToken)
    {
        var (commands, control) = await Instructions.TakeAsync(store, signals, workerId);
        if (commands.Count > 0 || control is not null)
            await frames.SendAsync(new ChannelFrame { Type = ChannelFrameType.Instructions, Signals = commands, Control = control }, cancellationToken);
    }

    /// <summary>Tells the worker why the channel ends; the loops then stop.</summary>
    private async Task RefuseAsync(int status, string detail)
    {
        try
        {
            await frames.SendAsync(new ChannelFrame { Type = ChannelFrameType.Error, Status = status, Detail = detail }, CancellationToken.None);
        }
        catch (Exception ex) when (ex is WebSocketException or IOException)
        {
        }
        throw new InvalidOperationException(detail);
    }
}
