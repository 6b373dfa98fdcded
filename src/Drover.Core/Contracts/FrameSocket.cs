using System.Buffers;
using System.Net.WebSockets;
using System.Text.Json;
using Drover.Json;

namespace Drover.Contracts;

/// <summary>
/// The worker channel's framing, for both ends: one JSON <see cref="ChannelFrame"/> per WebSocket
/// message. Sends may come from any thread (one at a time goes out); one reader at a time.
/// </summary>
public sealed class FrameSocket(WebSocket socket, long maxFrameBytes) : IDisposable
{
    private static readonly System.Text.Json.Serialization.Metadata.JsonTypeInfo<ChannelFrame> FrameType =
        (System.Text.Json.Serialization.Metadata.JsonTypeInfo<ChannelFrame>)DroverJson.Options.GetTypeInfo(typeof(ChannelFrame));

    /// <summary>As <see cref="JsonSerializer.SerializeToUtf8Bytes{TValue}(TValue, System.Text.Json.Serialization.Metadata.JsonTypeInfo{TValue})"/> writes with the wire's options.</summary>
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = DroverJson.Options.Encoder, Indented = DroverJson.Options.WriteIndented };

    private readonly SemaphoreSlim _sending = new(1);
    private readonly ArrayBufferWriter<byte> _received = new(16 * 1024);

    public WebSocket Socket => socket;

    /// <summary>The next frame; null once the other end closed the channel.</summary>
    /// <exception cref="InvalidDataException">The message is not a frame, or is larger than allowed.</exception>
    public async Task<ChannelFrame?> ReceiveAsync(CancellationToken cancellationToken)
    {
        _received.ResetWrittenCount();
        while (true)
        {
            var result = await socket.ReceiveAsync(_received.GetMemory(16 * 1024), cancellationToken);
            if (result.MessageType == WebSocketMessageType.Close) return null;
            _received.Advance(result.Count);
            if (_received.WrittenCount > maxFrameBytes) throw new InvalidDataException($"a frame is larger than {maxFrameBytes} bytes");
            if (result.EndOfMessage) break;
        }
        try
        {
            return JsonSerializer.Deserialize(_received.WrittenSpan, FrameType)
                ?? throw new InvalidDataException("a frame is null");
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"a frame is not valid: {ex.Message}", ex);
        }
    }

    public async Task SendAsync(ChannelFrame frame, CancellationToken cancellationToken)
    {
        using var bytes = new PooledBufferWriter(16 * 1024);
        using (var writer = new Utf8JsonWriter(bytes, WriterOptions)) JsonSerializer.Serialize(writer, frame, FrameType);
        await _sending.WaitAsync(cancellationToken);
        try
        {
            await socket.SendAsync(bytes.WrittenMemory, WebSocketMessageType.Text, endOfMessage: true, cancellationToken);
        }
        finally
        {
            _sending.Release();
        }
    }

    /// <summary>
    /// Ends the channel from this side: says so to the other end, whose answer ends
    /// <paramref name="reading"/> (this end's reader loop, which sees the close); an end that does not
    /// answer within 2 s is cut off. Safe to call whoever closed first.
    /// </summary>
    public async Task CloseAsync(Task reading)
    {
        var patience = TimeSpan.FromSeconds(2);
        if (socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
        {
            using var quick = new CancellationTokenSource(patience);
            try
            {
                await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", quick.Token);
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException)
            {
            }
        }
        if (await Task.WhenAny(reading, Task.Delay(patience, CancellationToken.None)) != reading) socket.Abort();
        try
        {
            await reading;
        }
        catch (Exception)
        {
            // How the reader ended is its owner's to tell; here it only had to end.
        }
    }

    public void Dispose()
    {
        socket.Dispose();
        _sending.Dispose();
    }
}
