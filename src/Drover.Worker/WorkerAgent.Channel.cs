using System.Net;
using System.Net.WebSockets;
using Drover.Client;
using Drover.Contracts;
using Drover.Storage;
using Microsoft.Extensions.Logging;

namespace Drover.Worker;

/// <summary>
/// The worker's channel (one WebSocket with the server): it tells its room, tasks are pushed into the
/// hand, signals and settings are applied as they come, and reports go on it while it is open.
/// </summary>
public sealed partial class WorkerAgent
{
    /// <summary>The worker channel while it is open; null: lease and report over HTTP.</summary>
    private volatile WorkerChannelConnection? _channel;

    /// <summary>Pulsed when tasks are pushed or settings change: the channel loop looks at the room again.</summary>
    private readonly AsyncSignal _nudge = new();

    private enum ChannelEnd { Again, Refused, Lost }

    private async Task<ChannelEnd> RunChannelAsync(CancellationToken stopping, bool quiet)
    {
        WorkerChannelConnection channel;
        try
        {
            channel = await _client.OpenWorkerChannelAsync(_reporter.WorkerId, TakePushed, ApplyInstructions, stopping);
        }
        catch (Exception ex) when (ex is WebSocketException or HttpRequestException or IOException && !stopping.IsCancellationRequested)
        {
            if (!quiet) Log.ChannelRefused(_logger, ex.Message, _options.ChannelRetry);
            return ChannelEnd.Refused;
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            return ChannelEnd.Lost;
        }
        Log.ChannelOpen(_logger);
        _channel = channel;
        try
        {
            await FeedChannelAsync(channel, stopping);
            return ChannelEnd.Lost;
        }
        catch (DroverApiException ex) when (ex.Status == HttpStatusCode.NotFound)
        {
            Log.Reregistering(_logger);
            _channel = null;
            _reporter.WorkerId = await RegisterAsync(stopping);
            return ChannelEnd.Again;
        }
        catch (Exception ex) when (ex is IOException or WebSocketException or DroverApiException && !stopping.IsCancellationRequested)
        {
            Log.ChannelLost(_logger, ex.Message);
            return ChannelEnd.Lost;
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            return ChannelEnd.Lost;
        }
        finally
        {
            // From here on reports go over HTTP (those of a stopping worker too).
            _channel = null;
            await channel.DisposeAsync();
        }
    }

    /// <summary>
    /// Keeps the server told of the worker's room, as the HTTP loop would lease it: when a slot would
    /// sit idle or the hand is half empty, and 0 when it is paused or full. The server pushes tasks
    /// within that room as they become ready; this loop only speaks when the room changes.
    /// </summary>
    private async Task FeedChannelAsync(WorkerChannelConnection channel, CancellationToken stopping)
    {
        // Only this channel adds to the hand while it is open: what it added since it opened is what it received.
        _hand.Room(out _, out var before);
        (int Room, long Added) told = (-1, before);
        while (true)
        {
            var nudged = _nudge.WaitHandle;
            var room = _hand.Room(out var wantsMore, out var added);
            // Each push uses up credit on the server: after one the room is told again even when it looks the same.
            if ((room, added) != told)
            {
                await channel.WantAsync(room, added - before, stopping);
                told = (room, added);
            }
            await Task.WhenAny(room > 0 ? nudged : Task.WhenAny(nudged, wantsMore), channel.Completion).WaitAsync(stopping);
            if (channel.Completion.IsCompleted) await channel.Completion;
        }
    }

    private void TakePushed(IReadOnlyList<LeasedTask> tasks)
    {
        if (tasks.Count > 0 && _logger.IsEnabled(LogLevel.Debug)) Log.Leased(_logger, tasks.Count, string.Join(", ", tasks.Select(t => t.TaskId)));
        _hand.Add(tasks);
        _nudge.Pulse();
    }

    private void ApplyInstructions(IReadOnlyList<SignalCommand> signals, WorkerControl? control)
    {
        ApplySignals(signals);
        ApplyControl(control);
        _nudge.Pulse();
    }

    private Task<ReportResult> SendReportAsync(WorkerReport report, CancellationToken cancellationToken) =>
        _channel is { IsOpen: true } channel
            ? channel.ReportAsync(report, cancellationToken)
            : _client.ReportAsync(_reporter.WorkerId, report, cancellationToken);
}
