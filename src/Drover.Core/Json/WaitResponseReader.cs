using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization;
using Drover.Contracts;
using Drover.Model;

namespace Drover.Json;

/// <summary>
/// Reads a wait's answer (<c>{"done": [records], "pending": [ids]}</c>) from a stream as it arrives,
/// each record once. System.Text.Json, reading a stream, scans each record to its end before it hands
/// it to <see cref="TaskRecordJsonConverter"/> (a converter of its own must get the whole value), so
/// every byte of a 150,000-record answer was tokenized twice, inside its resumable machinery: 40% of
/// a client's CPU while it read such an answer (issue 17). Here a record is read only when at least
/// <see cref="Ahead"/> bytes follow its start in the buffer (or the answer has ended), which a record
/// without large args or result always fits in; one that does not is read again once more has come.
/// The buffer holds what has arrived and not been read, not the whole answer.
/// </summary>
public static class WaitResponseReader
{
    /// <summary>What must be in hand past an item before it is read (or the end of the answer).</summary>
    internal const int Ahead = 64 * 1024;

    public static async Task<WaitResponse> ReadAsync(Stream stream, JsonSerializerOptions options, CancellationToken cancellationToken)
    {
        var parser = new Parser((JsonConverter<TaskRecord>)options.GetConverter(typeof(TaskRecord)), options);
        var buffer = ArrayPool<byte>.Shared.Rent(4 * Ahead);
        try
        {
            int start = 0, end = 0;
            var final = false;
            while (true)
            {
                var progress = parser.Step(buffer.AsSpan(start, end - start), final);
                start += progress;
                if (parser.Result is { } result) return result;
                if (final) throw new JsonException("the wait's answer ended early");
                // Keep what is unread at the front; twice the room when it fills the buffer (an item
                // larger than all that came); then more: at least one read, up to half the buffer, or
                // all of it when not one item could be read (so that a long one is tried again only
                // with twice as much in hand).
                if (start > 0)
                {
                    buffer.AsSpan(start, end - start).CopyTo(buffer);
                    end -= start;
                    start = 0;
                }
                if (end == buffer.Length)
                {
                    var larger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                    buffer.AsSpan(0, end).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }
                do
                {
                    var read = await stream.ReadAsync(buffer.AsMemory(end), cancellationToken).ConfigureAwait(false);
                    final = read == 0;
                    end += read;
                }
                while (!final && end < (progress == 0 ? buffer.Length : buffer.Length / 2));
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Where the reading is, kept between the spans it is given.</summary>
    private sealed class Parser(JsonConverter<TaskRecord> records, JsonSerializerOptions options)
    {
        private enum Place { Start, Members, Done, Pending, End }

        private Place _place = Place.Start;
        private JsonReaderState _state;
        private readonly List<TaskRecord> _done = [];
        private readonly List<Guid> _pending = [];

        public WaitResponse? Result { get; private set; }

        /// <returns>How many bytes of <paramref name="utf8"/> were read (items whole only).</returns>
        public int Step(ReadOnlySpan<byte> utf8, bool final)
        {
            var reader = new Utf8JsonReader(utf8, final, _state);
            var read = 0;
            while (_place != Place.End && (final || utf8.Length - read >= Ahead))
            {
                var place = _place;
                try
                {
                    if (!Item(ref reader, ref place)) break;
                }
                catch (JsonException) when (!final)
                {
                    // An item longer than what has come: read again from its start with more.
                    break;
                }
                _place = place;
                _state = reader.CurrentState;
                read = (int)reader.BytesConsumed;
            }
            if (_place == Place.End) Result = new WaitResponse(_done, _pending);
            return read;
        }

        /// <summary>Reads one item: the opening, a member's name, a record, an id, an array's or the object's end.</summary>
        /// <returns>False when the span ends before the item does.</returns>
        private bool Item(ref Utf8JsonReader reader, ref Place place)
        {
            if (!reader.Read()) return false;
            switch (place)
            {
                case Place.Start:
                    Expect(ref reader, JsonTokenType.StartObject, "a wait's answer must be a JSON object");
                    place = Place.Members;
                    return true;
                case Place.Members:
                    if (reader.TokenType == JsonTokenType.EndObject)
                    {
                        place = Place.End;
                        return true;
                    }
                    var member = reader.ValueTextEquals("done"u8) ? Place.Done : reader.ValueTextEquals("pending"u8) ? Place.Pending : Place.Members;
                    if (!reader.Read()) return false;
                    if (member == Place.Members) return reader.TrySkip();
                    if (reader.TokenType == JsonTokenType.Null) return true;
                    Expect(ref reader, JsonTokenType.StartArray, $"'{(member == Place.Done ? "done" : "pending")}' of a wait's answer must be an array");
                    place = member;
                    return true;
                case Place.Done:
                    if (reader.TokenType == JsonTokenType.EndArray) place = Place.Members;
                    else _done.Add(records.Read(ref reader, typeof(TaskRecord), options)!);
                    return true;
                default:
                    if (reader.TokenType == JsonTokenType.EndArray) place = Place.Members;
                    else _pending.Add(reader.TokenType == JsonTokenType.String ? reader.GetGuid() : throw new JsonException("'pending' of a wait's answer must hold ids"));
                    return true;
            }
        }

        private static void Expect(ref Utf8JsonReader reader, JsonTokenType type, string problem)
        {
            if (reader.TokenType != type) throw new JsonException(problem);
        }
    }
}
