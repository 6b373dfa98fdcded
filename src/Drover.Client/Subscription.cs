using System.Net.WebSockets;
using System.Runtime.CompilerServices;
using Drover.Model;

namespace Drover.Client;

/// <summary>
/// <see cref="DroverClient.SubscribeAsync"/>: the event stream as an async sequence that reconnects
/// by itself (resilient clients) and, after a reconnect or a resync, re-reads what it follows —
/// every followed task not ended, and those that changed since a little before the stream was lost —
/// so no change goes unseen. Tasks followed by id start with their current records.
/// </summary>
internal static class Subscription
{
    /// <summary>How far before the loss of the stream the re-read looks, for clocks that differ.</summary>
    private static readonly TimeSpan Margin = TimeSpan.FromMinutes(1);
    private const int ReReadLimit = 10_000;

    public static async IAsyncEnumerable<TaskEvent> RunAsync(DroverClient client, EventFollow follow, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        DateTimeOffset? lost = null;
        for (var attempt = 0; !cancellationToken.IsCancellationRequested; attempt++)
        {
            var stream = await ConnectAsync(client, follow, cancellationToken);
            if (stream is null)
            {
                if (!client.Options.Resilient) throw new DroverUnavailableException("the event stream could not be opened", null);
                lost ??= DateTimeOffset.UtcNow;
                await Task.Delay(client.Options.Backoff.Delay(attempt), cancellationToken);
                continue;
            }
            attempt = 0;
            await using (stream)
            {
                if (lost is { } since)
                {
                    yield return new Resync();
                    yield return new TasksChanged(false, await ReReadAsync(client, follow, since - Margin, cancellationToken));
                }
                else if (follow.Tasks.Count > 0)
                {
                    // Tasks followed by id start with their records as they are now (read once the stream is
                    // open, the server following them already): one that ended before is seen too.
                    yield return new TasksChanged(false, await client.QueryTasksAsync(TaskFilter.In("id", follow.Tasks.Cast<object?>()), ReReadLimit, cancellationToken));
                }
                while (await ReadAsync(stream, cancellationToken) is { } message)
                {
                    yield return message;
                    if (message is Resync)
                        yield return new TasksChanged(false, await ReReadAsync(client, follow, DateTimeOffset.UtcNow - Margin, cancellationToken));
                }
                lost = DateTimeOffset.UtcNow;
            }
            if (!client.Options.Resilient) yield break;
        }
    }

    private static async Task<TaskEventStream?> ConnectAsync(DroverClient client, EventFollow follow, CancellationToken cancellationToken)
    {
        try
        {
            return await client.FollowAsync(follow, cancellationToken);
        }
        catch (Exception ex) when (ex is WebSocketException or HttpRequestException or IOException && !cancellationToken.IsCancellationRequested)
        {
            return null;
        }
    }

    /// <summary>The next message, or null once the stream is gone (closed or dropped).</summary>
    private static async Task<TaskEvent?> ReadAsync(TaskEventStream stream, CancellationToken cancellationToken)
    {
        try
        {
            return await stream.ReadAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is WebSocketException or IOException && !cancellationToken.IsCancellationRequested)
        {
            return null;
        }
    }

    /// <summary>The followed tasks that may have changed since <paramref name="since"/>: those not ended, and those submitted or ended since.</summary>
    private static async Task<IReadOnlyList<TaskRecord>> ReReadAsync(DroverClient client, EventFollow follow, DateTimeOffset since, CancellationToken cancellationToken)
    {
        var recent = TaskFilter.Or(TaskFilter.NotEnded, TaskFilter.Gte("submitted", since), TaskFilter.Gte("completed", since));
        var filter = follow.ToFilter() is { } followed ? TaskFilter.And(followed, recent) : follow.All ? recent : null;
        return filter is null ? [] : await client.QueryTasksAsync(filter, ReReadLimit, cancellationToken);
    }
}
