using System.Net;
using System.Threading.Channels;
using Drover.Client;
using Drover.Contracts;
using Drover.Model;
using Drover.Resilience;
using Microsoft.Extensions.Logging;

namespace Drover.Worker;

/// <summary>
/// Sends the worker's events to the server in batches: whatever has accumulated goes in one report,
/// so under load reports grow by themselves and when idle an event goes at once. An idle worker
/// still reports every heartbeat interval, which renews its leases. Reports are retried, in order,
/// until the server takes them.
/// </summary>
/// <param name="send">Sends one report: over the worker channel while it is open, else over HTTP.</param>
internal sealed class Reporter(Func<WorkerReport, CancellationToken, Task<ReportResult>> send, BackoffPolicy backoff, ILogger logger)
{
    private const int MaxEventsPerReport = 2000;
    private const long MaxCharsPerReport = 8 * 1024 * 1024;

    /// <summary>How long a busy reporter waits for more events before it sends.</summary>
    private static readonly TimeSpan Linger = TimeSpan.FromMilliseconds(1);

    /// <summary>
    /// A report this large says events come faster than reports go: only then is lingering worth it.
    /// A report of two or three (one task's output and end) is no load, and a timer there would only
    /// add a millisecond or two to each task's round trip.
    /// </summary>
    private const int LoadedBatch = 8;

    private readonly System.Diagnostics.Stopwatch _lastSend = System.Diagnostics.Stopwatch.StartNew();
    private readonly System.Diagnostics.Stopwatch _lastHeld = new();
    private int _lastBatchSize;

    private readonly Channel<ReportEvent> _events = Channel.CreateUnbounded<ReportEvent>(new UnboundedChannelOptions { SingleReader = true });

    public Guid WorkerId { get; set; }

    public TimeSpan Heartbeat { get; set; } = TimeSpan.FromSeconds(10);

    public WorkerState State { get; set; } = WorkerState.Running;

    /// <summary>Told the executions the server says this worker no longer holds.</summary>
    public Action<IReadOnlyList<Guid>>? OnStale { get; set; }

    /// <summary>Told the signals the server has for executions this worker holds.</summary>
    public Action<IReadOnlyList<SignalCommand>>? OnSignals { get; set; }

    /// <summary>The executions the worker holds now; only their leases are renewed.</summary>
    public Func<List<Guid>>? Held { get; set; }

    /// <summary>Told new settings from the server.</summary>
    public Action<WorkerControl?>? OnControl { get; set; }

    /// <summary>Called when the server asks for the worker's shards again (it restarted and lost its catalogue).</summary>
    public Action? OnAnnounceShards { get; set; }

    /// <summary>The machine's state, sent along with the held list every half heartbeat.</summary>
    public Func<MachineStats>? Stats { get; set; }

    /// <summary>Asked for a new worker id when the server has forgotten this one.</summary>
    public Func<CancellationToken, Task<Guid>>? Reregister { get; set; }

    private readonly CancellationTokenSource _giveUp = new();

    /// <summary>
    /// Called as the worker exits: from now on a report the server does not take (it is gone) is
    /// tried once more at once and then given up, since nothing is lost by giving up (the leases
    /// expire and the tasks run again elsewhere) and an exiting worker must not hang on a server
    /// that will not come back.
    /// </summary>
    public void GiveUpWhenUnreachable() => _giveUp.Cancel();

    public void Enqueue(ReportEvent e) => _events.Writer.TryWrite(e);

    /// <summary>No more events: send what is queued, then a last report with <see cref="State"/>.</summary>
    public void Complete() => _events.Writer.TryComplete();

    /// <param name="abort">Gives up on reports not yet sent (the server is gone for good).</param>
    public async Task RunAsync(CancellationToken abort)
    {
        var batch = new List<ReportEvent>();
        Task<bool>? waitForEvents = null;
        while (true)
        {
            waitForEvents ??= _events.Reader.WaitToReadAsync(abort).AsTask();
            var completed = false;
            try
            {
                // Wakes for an event, or after a quiet heartbeat interval to send an empty report.
                completed = !await waitForEvents.WaitAsync(Heartbeat, abort);
                waitForEvents = null;
            }
            catch (TimeoutException)
            {
            }
            // Under load, linger a moment so that a report carries many events; when idle, send at once.
            if (!completed && _lastBatchSize >= LoadedBatch && _lastSend.Elapsed < Linger * 2)
                await Task.Delay(Linger, abort);
            long chars = 0;
            while (batch.Count < MaxEventsPerReport && chars < MaxCharsPerReport && _events.Reader.TryRead(out var e))
            {
                batch.Add(e);
                chars += (e.Stdout?.Length ?? 0) + (e.Stderr?.Length ?? 0);
            }
            DropStartsOfFinished(batch);
            if (!await SendAsync(batch, abort))
            {
                Log.GaveUpReporting(logger, batch.Count + _events.Reader.Count);
                return;
            }
            if (completed && batch.Count == 0) return;
            batch.Clear();
        }
    }

    /// <summary>A run that started and finished within one report needs only its end: one write, not two.</summary>
    private static void DropStartsOfFinished(List<ReportEvent> batch)
    {
        HashSet<Guid>? finished = null;
        foreach (var e in batch)
        {
            if (e.Type == ReportEventType.Finished) (finished ??= []).Add(e.ExecutionId);
        }
        if (finished is not null) batch.RemoveAll(e => e.Type == ReportEventType.Started && finished.Contains(e.ExecutionId));
    }

    /// <returns>False when the server could not be reached while stopping (<see cref="GiveUpWhenUnreachable"/>).</returns>
    private async Task<bool> SendAsync(List<ReportEvent> events, CancellationToken abort)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                // The list of held leases renews them; it is needed once in a while, not in every report
                // (it names every lease in hand). An empty list renews nothing.
                var sendHeld = !_lastHeld.IsRunning || _lastHeld.Elapsed >= Heartbeat / 2;
                var report = new WorkerReport { Events = events, State = State, Held = sendHeld ? Held?.Invoke() : [], Stats = sendHeld ? Stats?.Invoke() : null };
                var result = await send(report, abort);
                if (sendHeld) _lastHeld.Restart();
                _lastSend.Restart();
                _lastBatchSize = events.Count;
                if (result.Stale.Count > 0) OnStale?.Invoke(result.Stale);
                if (result.Signals.Count > 0) OnSignals?.Invoke(result.Signals);
                if (result.Control is not null) OnControl?.Invoke(result.Control);
                if (result.AnnounceShards) OnAnnounceShards?.Invoke();
                return true;
            }
            catch (DroverApiException ex) when (ex.Status == HttpStatusCode.NotFound && Reregister is not null)
            {
                // The server lost our registration (a memory store restarted): these events are for leases it forgot.
                Log.Reregistering(logger);
                WorkerId = await Reregister(abort);
                OnStale?.Invoke(events.Select(e => e.ExecutionId).Distinct().ToList());
                return true;
            }
            catch (WorkerChannelClosedException) when (attempt == 0)
            {
                // The channel ended with this report in flight: at once over HTTP (applying it twice is harmless).
            }
            catch (DroverApiException ex) when ((int)ex.Status is >= 400 and < 500)
            {
                Log.ReportRefused(logger, events.Count, ex.Message);
                return true;
            }
            catch (Exception ex) when (ex is HttpRequestException or DroverApiException or IOException && !abort.IsCancellationRequested)
            {
                if (_giveUp.IsCancellationRequested) return false;
                var delay = backoff.Delay(attempt);
                Log.ServerUnreachable(logger, ex.Message, delay);
                using var either = CancellationTokenSource.CreateLinkedTokenSource(abort, _giveUp.Token);
                try
                {
                    await Task.Delay(delay, either.Token);
                }
                catch (OperationCanceledException) when (!abort.IsCancellationRequested)
                {
                    // Exiting: one more try at once, then give up.
                }
            }
        }
    }
}
