using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Drover.Model;
using Drover.Storage;
using Npgsql;

namespace Drover.Postgres;

/// <summary>
/// Carries task events between servers on one database, so that a follower on one server sees
/// changes made through another. A write NOTIFYs the ids it created or changed, and the output
/// workers streamed; each other server reads those tasks back (only while someone follows there)
/// and publishes them to its own <see cref="TaskEvents"/>. A server ignores its own notifications:
/// it published those already.
/// </summary>
internal sealed class PostgresEventRelay : IAsyncDisposable
{
    public const string Changes = "drover_changes";
    public const string Output = "drover_output";

    private const int IdsPerNotification = 190;
    /// <summary>Characters of output per notification: even escaped as JSON, a piece stays under NOTIFY's 8,000 bytes.</summary>
    private const int OutputPieceLength = 1000;
    /// <summary>Output of one chunk sent to other servers at most, the latest kept; followers are told when text was dropped.</summary>
    private const int OutputPerChunk = 32 * 1024;

    private readonly string _origin = Guid.NewGuid().ToString("N");
    private readonly TaskEvents? _events;
    private readonly Func<IReadOnlyCollection<Guid>, CancellationToken, Task<IReadOnlyList<TaskRecord>>> _read;
    private readonly Channel<(bool Created, Guid[] Ids)> _changed = Channel.CreateUnbounded<(bool, Guid[])>(new() { SingleReader = true });
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _relaying;

    public PostgresEventRelay(TaskEvents? events, Func<IReadOnlyCollection<Guid>, CancellationToken, Task<IReadOnlyList<TaskRecord>>> read)
    {
        _events = events;
        _read = read;
        _relaying = events is null ? Task.CompletedTask : RelayAsync(_stop.Token);
    }

    /// <summary>The NOTIFY commands announcing a write's created and changed tasks and its output to the other servers.</summary>
    public IEnumerable<NpgsqlBatchCommand> Commands(IReadOnlyCollection<TaskRecord> created, IReadOnlyCollection<TaskRecord> changed, IReadOnlyCollection<TaskOutputChunk> output)
    {
        foreach (var chunk in created.Select(t => t.Id).Chunk(IdsPerNotification))
            yield return PgRows.Command($"SELECT pg_notify('{Changes}', $1)", $"{_origin} a {string.Join(',', chunk)}");
        foreach (var chunk in changed.Select(t => t.Id).Distinct().Chunk(IdsPerNotification))
            yield return PgRows.Command($"SELECT pg_notify('{Changes}', $1)", $"{_origin} u {string.Join(',', chunk)}");
        foreach (var chunk in output)
            foreach (var piece in Pieces(chunk))
                yield return PgRows.Command($"SELECT pg_notify('{Output}', $1)", $"{_origin} {JsonSerializer.Serialize(piece)}");
    }

    /// <summary>
    /// One output chunk as notification payloads: its latest text, cut where no character is split,
    /// each piece with its stream's byte total after it.
    /// </summary>
    private static IEnumerable<OutputPiece> Pieces(TaskOutputChunk chunk)
    {
        var skipped = chunk.Skipped;
        foreach (var (stream, text, total) in new[] { ("stdout", chunk.Stdout, chunk.StdoutBytes), ("stderr", chunk.Stderr, chunk.StderrBytes) })
        {
            if (string.IsNullOrEmpty(text)) continue;
            var start = Math.Max(0, text.Length - OutputPerChunk);
            if (start > 0 && char.IsLowSurrogate(text[start])) start++;
            var dropped = start > 0;
            var after = total - Encoding.UTF8.GetByteCount(text.AsSpan(start));
            while (start < text.Length)
            {
                var end = Math.Min(text.Length, start + OutputPieceLength);
                if (end < text.Length && char.IsHighSurrogate(text[end - 1])) end--;
                after += Encoding.UTF8.GetByteCount(text.AsSpan(start, end - start));
                yield return new OutputPiece(chunk.Task, chunk.Execution, stream, text[start..end], after, skipped || dropped);
                skipped = dropped = false;
                start = end;
            }
        }
    }

    /// <summary>After listening again: what other servers changed meanwhile is unknown, so followers here re-read.</summary>
    public void Relisten() => _events?.ResyncAll();

    /// <summary>A notification from another server (or this one, ignored); each payload begins with the origin server's id.</summary>
    public void OnNotification(string channel, string payload)
    {
        if (_events is null || payload.StartsWith(_origin, StringComparison.Ordinal) || !_events.HasSubscribers) return;
        if (channel == Changes)
        {
            var parts = payload.Split(' ', 3);
            if (parts.Length == 3)
                _changed.Writer.TryWrite((parts[1] == "a", [.. parts[2].Split(',', StringSplitOptions.RemoveEmptyEntries).Select(Guid.Parse)]));
        }
        else if (channel == Output && payload.IndexOf(' ') is > 0 and var space && JsonSerializer.Deserialize<OutputPiece>(payload[(space + 1)..]) is { } piece)
        {
            var stdout = piece.Stream == "stdout";
            _events.PublishOutput([new TaskOutputChunk(piece.Task, piece.Execution, stdout ? piece.Text : null, stdout ? null : piece.Text)
            {
                StdoutBytes = stdout ? piece.Bytes : null,
                StderrBytes = stdout ? null : piece.Bytes,
                Skipped = piece.Skipped,
            }]);
        }
    }

    /// <summary>Reads the tasks other servers changed, all that waits at once, and publishes their current records.</summary>
    private async Task RelayAsync(CancellationToken stop)
    {
        try
        {
            while (await _changed.Reader.WaitToReadAsync(stop))
            {
                var created = new HashSet<Guid>();
                var changed = new HashSet<Guid>();
                while (_changed.Reader.TryRead(out var notice)) (notice.Created ? created : changed).UnionWith(notice.Ids);
                try
                {
                    var records = await _read([.. created.Concat(changed).Distinct()], stop);
                    _events!.Publish([.. records.Where(r => created.Contains(r.Id))], created: true);
                    _events.Publish([.. records.Where(r => !created.Contains(r.Id))]);
                }
                catch (Exception ex) when (ex is NpgsqlException or IOException or TimeoutException)
                {
                    // The database went away: followers here re-read rather than miss these changes.
                    _events!.ResyncAll();
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _relaying;
        _stop.Dispose();
    }

    private sealed record OutputPiece(Guid Task, Guid Execution, string Stream, string Text, long? Bytes, bool Skipped);
}
