using System.Text.Json;
using Drover.Client;
using Drover.Model;

namespace Drover.Cli.Watch;

/// <summary>
/// <c>drover watch [--batch B] [--group G]</c>: follows tasks live — by batch, by group, or (with
/// neither) every task that has not ended — and shows a progress bar per batch and the running
/// tasks with their status messages, until everything followed has ended. Exits 0 when every task
/// succeeded.
/// </summary>
internal static class BoardWatch
{
    /// <summary>At most this many tasks are read to start with; later ones come from the stream.</summary>
    private const int MaxFirstRead = 100_000;
    private const int Page = 10_000;
    private static readonly TimeSpan RenderEvery = TimeSpan.FromMilliseconds(200);

    public static async Task<int> RunAsync(DroverClient client, IReadOnlyList<string> batches, IReadOnlyList<string> groups, CancellationToken cancellationToken)
    {
        var everything = batches.Count == 0 && groups.Count == 0;
        var follow = new EventFollow { All = everything, Batches = batches, Groups = groups };
        await using var stream = await client.FollowAsync(follow, cancellationToken);
        var board = new TaskBoard();
        // Following everything means every task not ended; otherwise the batches and groups, ended ones too (for the counts).
        var followed = follow.ToFilter() ?? TaskFilter.NotEnded;
        await ReadAllAsync(client, board, followed, cancellationToken);
        if (board.Count == 0)
        {
            Console.Error.WriteLine(everything ? "drover: no task is waiting or running" : "drover: no task matches (yet); waiting for one");
            if (everything) return 0;
        }
        var succeeded = await BoardView.RunAsync(show => FollowAsync(client, stream, board, show, followed, cancellationToken));
        BoardView.Summarise(board);
        return succeeded ? 0 : 1;
    }

    /// <summary>Applies the stream to the board until everything on it has ended, showing it at most every <see cref="RenderEvery"/>.</summary>
    private static async Task<bool> FollowAsync(DroverClient client, TaskEventStream stream, TaskBoard board, Action<TaskBoard> show,
        TaskFilter followed, CancellationToken cancellationToken)
    {
        var shown = DateTimeOffset.MinValue;
        var next = stream.ReadAsync(cancellationToken);
        while (!board.AllEnded)
        {
            var due = shown + RenderEvery - DateTimeOffset.UtcNow;
            if (due <= TimeSpan.Zero)
            {
                show(board);
                shown = DateTimeOffset.UtcNow;
                due = RenderEvery;
            }
            if (await Task.WhenAny(next, Task.Delay(due, cancellationToken)) != next) continue;
            switch (await next)
            {
                case null:
                    throw new CliException("the server closed the event stream");
                case TasksChanged changed:
                    board.Apply(changed.Tasks);
                    break;
                case Resync:
                    board.Clear();
                    await ReadAllAsync(client, board, followed, cancellationToken);
                    break;
            }
            next = stream.ReadAsync(cancellationToken);
        }
        show(board);
        return board.AllSucceeded;
    }

    private static async Task ReadAllAsync(DroverClient client, TaskBoard board, TaskFilter filter, CancellationToken cancellationToken)
    {
        for (var skip = 0; skip < MaxFirstRead; skip += Page)
        {
            var query = JsonSerializer.SerializeToElement(new Dictionary<string, object>
            {
                ["filter"] = filter.ToJson(),
                ["sort"] = new[] { "submitted" },
                ["skip"] = skip,
                ["limit"] = Page,
            });
            var page = (await client.QueryAsync(query, cancellationToken)).Deserialize<List<TaskRecord>>(Json.DroverJson.Options) ?? [];
            board.Apply(page);
            if (page.Count < Page) return;
        }
        Console.Error.WriteLine($"drover: more than {MaxFirstRead} tasks match; the counts start from the first {MaxFirstRead}");
    }
}
