using System.Text;
using System.Text.Json;
using Drover.Json;
using Drover.Storage;

namespace Drover.Client;

/// <summary>
/// Writes the server could not take yet, sent in order in the background with the shared backoff:
/// the head is retried until the server answers it, so a later write never overtakes an earlier
/// one. With a path, every write is appended to a file (flushed to disk) before the call returns,
/// and marked done once delivered, so what a process leaves undelivered is sent by the next client
/// that opens the same file. One client holds a file at a time.
/// </summary>
internal sealed class Outbox : IAsyncDisposable
{
    private readonly RequestSender _sender;
    private readonly DroverClientOptions _options;
    private readonly Lock _gate = new();
    private readonly Queue<Entry> _queue = new();
    private readonly AsyncSignal _added = new();
    private readonly FileStream? _file;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _delivering;
    private long _nextSeq = 1;
    private Task _last = Task.CompletedTask;

    public Outbox(RequestSender sender, DroverClientOptions options)
    {
        _sender = sender;
        _options = options;
        if (options.OutboxPath is { } path)
        {
            _file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            foreach (var entry in Load(_file)) Enqueue(entry);
        }
        _delivering = DeliverAsync(_stop.Token);
    }

    public int Count
    {
        get { lock (_gate) return _queue.Count; }
    }

    /// <summary>Refused writes (4xx) taken out of the outbox: the caller's handle faults; this tells everyone else.</summary>
    public event Action<string, DroverApiException>? Refused;

    /// <returns>Completes when the server took the write; faults when it refused it.</returns>
    public Task Add(HttpMethod method, string path, object? body)
    {
        var content = body is null ? null : JsonSerializer.SerializeToUtf8Bytes(body, body.GetType(), DroverJson.Options);
        Entry entry;
        lock (_gate)
        {
            entry = new Entry(_nextSeq++, method.Method, path, content);
            if (_file is not null) Append(entry);
            Enqueue(entry);
        }
        _added.Pulse();
        return entry.Delivered.Task;
    }

    private void Enqueue(Entry entry)
    {
        _queue.Enqueue(entry);
        _nextSeq = Math.Max(_nextSeq, entry.Seq + 1);
        _last = entry.Delivered.Task;
    }

    /// <summary>Completes once everything added so far has been delivered or refused.</summary>
    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        Task last;
        lock (_gate) last = _last;
        try
        {
            await last.WaitAsync(cancellationToken);
        }
        catch (DroverApiException)
        {
            // Refused: out of the outbox all the same.
        }
    }

    private async Task DeliverAsync(CancellationToken stop)
    {
        var attempt = 0;
        while (!stop.IsCancellationRequested)
        {
            var wake = _added.WaitHandle;
            Entry? head;
            lock (_gate) head = _queue.Count > 0 ? _queue.Peek() : null;
            if (head is null)
            {
                await wake.WaitAsync(stop).ContinueWith(_ => { }, TaskScheduler.Default);
                continue;
            }
            try
            {
                await _sender.AttemptAsync<object>(new HttpMethod(head.Method), head.Path, head.Body, _options.AttemptTimeout, stop);
                Done(head, null);
                attempt = 0;
            }
            catch (Exception) when (stop.IsCancellationRequested)
            {
                return; // disposed: whatever the attempt ended with, the entry stays (in the file, if any)
            }
            catch (DroverApiException refused) when (!RequestSender.IsTransient(refused, stop))
            {
                Done(head, refused);
                Refused?.Invoke(head.Path, refused);
                attempt = 0;
            }
            catch (Exception ex) when (RequestSender.IsTransient(ex, stop))
            {
                await Task.Delay(RequestSender.Delay(ex, attempt++, _options.Backoff), stop).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    private void Done(Entry entry, DroverApiException? refused)
    {
        lock (_gate)
        {
            _queue.Dequeue();
            if (_file is not null)
            {
                if (_queue.Count == 0)
                {
                    // Nothing left: start the file afresh instead of letting it grow.
                    _file.SetLength(0);
                    _file.Flush(flushToDisk: true);
                }
                else
                {
                    Write(Encoding.UTF8.GetBytes($"{{\"done\":{entry.Seq}}}\n"));
                }
            }
        }
        if (refused is null) entry.Delivered.TrySetResult();
        else entry.Delivered.TrySetException(refused);
    }

    private void Append(Entry entry)
    {
        using var line = new MemoryStream();
        using (var json = new Utf8JsonWriter(line))
        {
            json.WriteStartObject();
            json.WriteNumber("seq", entry.Seq);
            json.WriteString("method", entry.Method);
            json.WriteString("path", entry.Path);
            if (entry.Body is not null)
            {
                json.WritePropertyName("body");
                json.WriteRawValue(entry.Body);
            }
            json.WriteEndObject();
        }
        line.WriteByte((byte)'\n');
        Write(line.ToArray());
    }

    private void Write(byte[] bytes)
    {
        _file!.Seek(0, SeekOrigin.End);
        _file.Write(bytes);
        _file.Flush(flushToDisk: true);
    }

    /// <summary>The writes a file holds that were not marked done, in order. A torn last line (the process died writing it) was never acknowledged: it is skipped.</summary>
    private static List<Entry> Load(FileStream file)
    {
        var entries = new SortedDictionary<long, Entry>();
        using var reader = new StreamReader(file, Encoding.UTF8, leaveOpen: true);
        while (reader.ReadLine() is { } line)
        {
            if (line.Length == 0) continue;
            JsonElement root;
            try
            {
                root = JsonDocument.Parse(line).RootElement;
            }
            catch (JsonException)
            {
                continue;
            }
            if (root.TryGetProperty("done", out var done)) entries.Remove(done.GetInt64());
            else if (root.TryGetProperty("seq", out var seq))
                entries[seq.GetInt64()] = new Entry(seq.GetInt64(), root.GetProperty("method").GetString()!, root.GetProperty("path").GetString()!,
                    root.TryGetProperty("body", out var body) ? Encoding.UTF8.GetBytes(body.GetRawText()) : null);
        }
        return [.. entries.Values];
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _delivering;
        _file?.Dispose();
        _stop.Dispose();
    }

    private sealed record Entry(long Seq, string Method, string Path, byte[]? Body)
    {
        public TaskCompletionSource Delivered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
