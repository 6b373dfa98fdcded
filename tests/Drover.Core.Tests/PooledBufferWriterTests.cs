using System.Text.Json;
using Drover.Contracts;

namespace Drover.Core.Tests;

public sealed class PooledBufferWriterTests
{
    [Fact]
    public void What_is_written_across_growths_reads_back_whole_and_in_order()
    {
        using var buffer = new PooledBufferWriter(16);
        var expected = new List<byte>();
        for (var i = 0; i < 5000; i++)
        {
            var span = buffer.GetSpan(i % 7 == 0 ? 100 : 0);
            var count = 1 + i % 3;
            for (var k = 0; k < count; k++) span[k] = (byte)(i + k);
            buffer.Advance(count);
            expected.AddRange(Enumerable.Range(0, count).Select(k => (byte)(i + k)));
        }
        Assert.Equal(expected, buffer.WrittenMemory.ToArray());
    }

    [Fact]
    public void A_frame_written_through_it_is_the_json_the_serializer_makes()
    {
        var value = new { ids = Enumerable.Range(0, 3000).Select(i => $"task-{i}").ToArray(), note = "é\"<>" };
        using var buffer = new PooledBufferWriter(16);
        using (var writer = new Utf8JsonWriter(buffer)) JsonSerializer.Serialize(writer, value);
        Assert.Equal(JsonSerializer.SerializeToUtf8Bytes(value), buffer.WrittenMemory.ToArray());
    }

    [Fact]
    public void Advancing_past_what_was_asked_for_is_refused()
    {
        using var buffer = new PooledBufferWriter(16);
        var length = buffer.GetSpan(1).Length;
        Assert.Throws<InvalidOperationException>(() => buffer.Advance(length + 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => buffer.Advance(-1));
    }
}
