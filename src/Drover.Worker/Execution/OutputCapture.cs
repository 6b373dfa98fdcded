using System.Text;

namespace Drover.Worker.Execution;

/// <summary>
/// One output stream of a running task: keeps the last N bytes (the tail the server keeps), counts
/// every byte, and holds what is new since the last flush so it can stream to the server. Its decoder
/// and tails are made by the first write: most handler tasks write nothing.
/// </summary>
internal sealed class OutputCapture(int limitBytes)
{
    private readonly Lock _gate = new();
    private Decoder? _decoder;
    private ChunkTail? _tail;
    private ChunkTail? _unsent;
    private long _totalBytes;

    public long TotalBytes
    {
        get { lock (_gate) return _totalBytes; }
    }

    public void Write(ReadOnlySpan<byte> bytes)
    {
        // One writer per stream (its pipe's reader, or a handler's writer), as for the decoder's state.
        var decoder = _decoder ??= new UTF8Encoding(false).GetDecoder();
        var buffer = new char[decoder.GetCharCount(bytes, flush: false)];
        var text = new string(buffer, 0, decoder.GetChars(bytes, buffer, flush: false));
        lock (_gate)
        {
            _totalBytes += bytes.Length;
            (_tail ??= new(limitBytes)).Add(text);
            (_unsent ??= new(limitBytes)).Add(text);
        }
    }

    /// <summary>The whole kept tail.</summary>
    public string Tail()
    {
        lock (_gate) return _tail?.ToString() ?? "";
    }

    /// <summary>What arrived since the last call (at most the limit); null when nothing did.</summary>
    public string? TakeUnsent()
    {
        lock (_gate)
        {
            if (_unsent is not { Length: > 0 }) return null;
            var text = _unsent.ToString();
            _unsent.Clear();
            return text;
        }
    }

    /// <summary>The last <c>limit</c> characters of a stream of chunks, without copying on every write.</summary>
    private sealed class ChunkTail(int limit)
    {
        private readonly Queue<string> _chunks = new();

        public int Length { get; private set; }

        public void Add(string chunk)
        {
            if (chunk.Length == 0 || limit == 0) return;
            if (chunk.Length >= limit)
            {
                Clear();
                chunk = chunk[^limit..];
            }
            _chunks.Enqueue(chunk);
            Length += chunk.Length;
            while (Length - _chunks.Peek().Length >= limit) Length -= _chunks.Dequeue().Length;
        }

        public void Clear()
        {
            _chunks.Clear();
            Length = 0;
        }

        public override string ToString()
        {
            // Chars approximate bytes here; the server trims to the exact byte limit.
            var text = string.Concat(_chunks);
            return text.Length > limit ? text[^limit..] : text;
        }
    }
}
