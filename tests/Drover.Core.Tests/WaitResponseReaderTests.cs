using System.Text;
using System.Text.Json;
using Drover.Contracts;
using Drover.Json;
using Drover.Model;

namespace Drover.Core.Tests;

/// <summary>The wait answer's stream reader must read what the serializer reads, however the bytes arrive.</summary>
public sealed class WaitResponseReaderTests
{
    private static readonly DateTimeOffset At = new(2026, 12, 7, 5, 30, 1, 234, TimeSpan.Zero);

    private static TaskRecord Record(int i, string? args = null) => new()
    {
        Id = Guid.Parse($"0194a1b2-0000-7000-8000-{i:D12}"), Batch = i % 3 == 0 ? "night" : "day", Handler = "echo",
        Args = args is null ? null : JsonDocument.Parse(JsonSerializer.Serialize(args)).RootElement,
        Status = i % 5 == 0 ? TaskState.Failed : TaskState.Succeeded, Attempts = 1, Submitted = At, Completed = At.AddSeconds(i),
        ExitCode = i % 5 == 0 ? 1 : 0, Error = i % 5 == 0 ? "exit \"1\" é" : null,
    };

    /// <summary>An answer of many records, a few of them far longer than what the reader wants in hand ahead of one.</summary>
    private static WaitResponse Answer() => new(
        [.. Enumerable.Range(0, 3000).Select(i => Record(i, i % 1000 == 7 ? new string('x', 3 * WaitResponseReader.Ahead) : null))],
        [.. Enumerable.Range(0, 500).Select(i => Guid.Parse($"0194a1b2-0000-7000-9000-{i:D12}"))]);

    public static TheoryData<int> Chunks() => [1, 7, 4096, 100_000, int.MaxValue];

    [Theory]
    [MemberData(nameof(Chunks))]
    public async Task Reads_what_the_serializer_reads_however_the_bytes_arrive(int chunk)
    {
        var answer = Answer();
        var wire = JsonSerializer.SerializeToUtf8Bytes(answer, DroverJson.Options);
        var read = await WaitResponseReader.ReadAsync(new Trickle(wire, chunk), DroverJson.Options, CancellationToken.None);
        Assert.Equal(JsonSerializer.Serialize(answer, DroverJson.Options), JsonSerializer.Serialize(read, DroverJson.Options));
        Assert.Equal(3000, read.Done.Count);
    }

    [Fact]
    public async Task Reads_members_in_any_order_skips_unknown_ones_and_takes_a_missing_or_null_list_as_empty()
    {
        var record = JsonSerializer.Serialize(Record(1), DroverJson.Options);
        var wire = $$"""
            { "extra": {"a": [1, {"b": "]}"}]}, "pending" : [ "0194a1b2-0000-7000-9000-000000000001" ],
              "more": "x", "done": [ {{record}} , {{record}} ] }
            """;
        var read = await WaitResponseReader.ReadAsync(new Trickle(Encoding.UTF8.GetBytes(wire), 3), DroverJson.Options, CancellationToken.None);
        Assert.Equal(2, read.Done.Count);
        Assert.Equal([Guid.Parse("0194a1b2-0000-7000-9000-000000000001")], read.Pending);
        Assert.Equal(Record(1).Id, read.Done[1].Id);

        var empty = await WaitResponseReader.ReadAsync(new MemoryStream("""{"done":[],"pending":null}"""u8.ToArray()), DroverJson.Options, CancellationToken.None);
        Assert.Equal((0, 0), (empty.Done.Count, empty.Pending.Count));
    }

    public static TheoryData<string> Broken() =>
    [
        "",
        """{"done":[""",
        """{"done":[], "pending":["0194a1b2-0000-7000-9000-000000000001" """,
        """{"done":[5]}""",
        """{"done":{}}""",
        """{"pending":[7]}""",
        """[]""",
        """{"done":[{"id":"0194a1b2-0000-7000-8000-000000000001","batch":"b","status":"succeeded"}]}""",
    ];

    [Theory]
    [MemberData(nameof(Broken))]
    public async Task An_answer_cut_short_or_of_another_shape_is_refused(string wire) =>
        await Assert.ThrowsAnyAsync<JsonException>(() =>
            WaitResponseReader.ReadAsync(new Trickle(Encoding.UTF8.GetBytes(wire), 5), DroverJson.Options, CancellationToken.None));

    /// <summary>A stream that gives at most <paramref name="chunk"/> bytes a read, as a network does.</summary>
    private sealed class Trickle(byte[] bytes, int chunk) : MemoryStream(bytes)
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(buffer.Length, chunk)], cancellationToken);
    }
}
