using System.Text.Json;
using Drover.Json;
using Drover.Model;

namespace Drover.Core.Tests;

/// <summary>The hand-written task record converter against System.Text.Json's generated form, member by member.</summary>
public sealed class TaskRecordJsonConverterTests
{
    private static readonly DateTimeOffset At = new(2026, 12, 7, 5, 30, 1, 234, TimeSpan.Zero);

    /// <summary>Drover's settings without the hand-written converter: the generated form the converter must give.</summary>
    private static readonly JsonSerializerOptions Generated = CreateGenerated();

    private static JsonSerializerOptions CreateGenerated()
    {
        var options = new JsonSerializerOptions();
        DroverJson.Configure(options);
        options.Converters.Remove(options.Converters.OfType<TaskRecordJsonConverter>().Single());
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }

    /// <summary>Every member on the wire set, none to its default.</summary>
    private static TaskRecord Full() => new()
    {
        Id = Guid.Parse("0194a1b2-0000-7000-8000-000000000001"), Name = "align \"sample\" é", Batch = "b1", Group = "g1",
        Command = ["sh", "-c", "echo hi"], Shell = "bash", Handler = "sum", Args = JsonDocument.Parse("""{"a":[1,2.5,null,"x"]}""").RootElement,
        Env = new Dictionary<string, string> { ["K"] = "v", ["Z"] = "" }, Requires = [Guid.Parse("0194a1b2-0000-7000-8000-000000000002")],
        Priority = -3, Retry = 2, Timeout = TimeSpan.FromSeconds(90), RunAfter = At.AddMinutes(1),
        Input = ["s3://bucket/in/"], Resource = ["s3://bucket/ref.fa"], Output = "s3://bucket/out/", OutputOn = OutputOn.Always,
        Container = "alpine:3", ContainerOptions = ["--cpus", "1"], Cache = true,
        Status = TaskState.Failed, StatusMessage = "step 3", Progress = 0.25, Attempts = 3, Failures = 2,
        WorkerId = Guid.Parse("0194a1b2-0000-7000-8000-000000000003"), ExecutionId = Guid.Parse("0194a1b2-0000-7000-8000-000000000004"),
        Submitted = At, Assigned = At.AddSeconds(1), Started = At.AddSeconds(2), Completed = At.AddSeconds(3), LeaseExpires = At.AddSeconds(60),
        ExitCode = 3, Result = JsonDocument.Parse("[true]").RootElement, Error = "exit 3", Stdout = "out\n", Stderr = "err\u0001\n",
        StdoutBytes = 4, StderrBytes = 5, ClientId = "client-1", Reason = "exit code 3",
        ResubmittedFrom = Guid.Parse("0194a1b2-0000-7000-8000-000000000005"), Resubmitted = Guid.Parse("0194a1b2-0000-7000-8000-000000000006"),
        CachedFrom = Guid.Parse("0194a1b2-0000-7000-8000-000000000007"), CacheKey = "sha256:abc",
        Transfer = new TransferRecord { Phase = ExecutionPhase.Uploading, Folder = "/tmp/run", BytesIn = 10, BytesOut = 20, StagingSeconds = 0.5, UploadSeconds = 1.5 },
    };

    private static TaskRecord Minimal() => new() { Id = Guid.Parse("0194a1b2-0000-7000-8000-000000000008"), Batch = "default", Status = TaskState.Pending, Submitted = At };

    [Fact]
    public void The_full_sample_sets_every_member_the_wire_has()
    {
        // A member added to TaskRecord and left out of the sample (and so perhaps of the converter) fails here.
        var written = JsonSerializer.SerializeToElement(Full(), Generated);
        Assert.Equal(Drover.Query.QueryRequest.RecordFields.Order(StringComparer.Ordinal), written.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
    }

    public static TheoryData<string> Samples() => ["full", "minimal", "null-valued elements", "one of everything empty"];

    private static TaskRecord Sample(string name) => name switch
    {
        "full" => Full(),
        "minimal" => Minimal(),
        "null-valued elements" => Minimal() with { Args = JsonDocument.Parse("null").RootElement, Result = JsonDocument.Parse("null").RootElement },
        _ => Minimal() with { Command = [], Env = new Dictionary<string, string>(), Requires = [], Input = [], Name = "", Progress = 0, ExitCode = 0 },
    };

    [Theory]
    [MemberData(nameof(Samples))]
    public void Writes_what_the_generated_code_writes(string sample)
    {
        var record = Sample(sample);
        Assert.Equal(JsonSerializer.Serialize(record, Generated), JsonSerializer.Serialize(record, DroverJson.Options));
        Assert.Equal(JsonSerializer.Serialize(new[] { record, record }, Generated), JsonSerializer.Serialize(new List<TaskRecord> { record, record }, DroverJson.Options));
    }

    [Theory]
    [MemberData(nameof(Samples))]
    public void Reads_back_what_the_generated_code_reads(string sample)
    {
        var wire = JsonSerializer.Serialize(Sample(sample), Generated);
        var byHand = JsonSerializer.Deserialize<TaskRecord>(wire, DroverJson.Options)!;
        var generated = JsonSerializer.Deserialize<TaskRecord>(wire, Generated)!;
        Assert.Equal(JsonSerializer.Serialize(generated, Generated), JsonSerializer.Serialize(byHand, Generated));
        // (Both read a JSON null as no value, so a record holding a JSON null in args does not come back as it was.)
        if (sample != "null-valued elements") Assert.Equal(wire, JsonSerializer.Serialize(byHand, Generated));
    }

    [Fact]
    public void Reads_members_in_any_order_with_escaped_names_and_explicit_nulls_and_skips_unknown_ones()
    {
        const string wire = """
            {"status":"running","submitted":"2026-12-07T05:30:01+01:00","\u0069d":"0194a1b2-0000-7000-8000-000000000009",
             "name":null,"args":null,"exit_code":null,"worker_id":null,"transfer":null,"env":null,"command":null,
             "from_a_newer_server":{"nested":[1,{"x":2}]},"batch":"b","a_name_longer_than_thirty_two_characters_here":1}
            """;
        var record = JsonSerializer.Deserialize<TaskRecord>(wire, DroverJson.Options)!;
        Assert.Equal(Guid.Parse("0194a1b2-0000-7000-8000-000000000009"), record.Id);
        Assert.Equal(TaskState.Running, record.Status);
        Assert.Equal("b", record.Batch);
        Assert.Equal(new DateTimeOffset(2026, 12, 7, 4, 30, 1, TimeSpan.Zero), record.Submitted);
        Assert.Null(record.Name);
        Assert.Null(record.Args);
        Assert.Null(record.ExitCode);
        Assert.Null(record.Command);
    }

    [Fact]
    public void Reads_a_record_whose_names_and_values_are_split_across_buffers()
    {
        // A reader over several segments gives values that span them as sequences, not spans.
        var wire = System.Text.Encoding.UTF8.GetBytes(JsonSerializer.Serialize(Full(), Generated));
        foreach (var size in new[] { 1, 3, 7 })
        {
            var reader = new Utf8JsonReader(Segments(wire, size));
            var record = JsonSerializer.Deserialize<TaskRecord>(ref reader, DroverJson.Options)!;
            Assert.Equal(JsonSerializer.Serialize(Full(), Generated), JsonSerializer.Serialize(record, Generated));
        }
    }

    private static System.Buffers.ReadOnlySequence<byte> Segments(byte[] bytes, int size)
    {
        var first = new Segment(bytes.AsMemory(0, Math.Min(size, bytes.Length)), 0);
        var last = first;
        for (var at = size; at < bytes.Length; at += size) last = last.Append(bytes.AsMemory(at, Math.Min(size, bytes.Length - at)));
        return new System.Buffers.ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    private sealed class Segment : System.Buffers.ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long index)
        {
            Memory = memory;
            RunningIndex = index;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }

    [Fact]
    public void Records_read_one_after_another_share_the_batch_and_handler_they_repeat()
    {
        var one = Full() with { Batch = "night", Handler = "sum" };
        var wire = JsonSerializer.Serialize(new[] { one, one with { Id = Guid.Empty }, one with { Batch = "day", Handler = null } }, DroverJson.Options);
        var read = JsonSerializer.Deserialize<List<TaskRecord>>(wire, DroverJson.Options)!;
        Assert.Same(read[0].Batch, read[1].Batch);
        Assert.Same(read[0].Handler, read[1].Handler);
        Assert.Equal(("night", "day", (string?)null), (read[1].Batch, read[2].Batch, read[2].Handler));
    }

    [Fact]
    public void A_strict_reader_refuses_an_unknown_member_by_name()
    {
        var error = Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<TaskRecord>(
            """{"id":"0194a1b2-0000-7000-8000-000000000009","batch":"b","status":"pending","submitted":"2026-12-07T05:30:01Z","colour":"red"}""",
            DroverJson.Strict));
        Assert.Contains("'colour'", error.Message);
    }

    [Theory]
    [InlineData("""{"batch":"b","status":"pending","submitted":"2026-12-07T05:30:01Z"}""", "id")]
    [InlineData("""{"id":"0194a1b2-0000-7000-8000-000000000009","status":"pending"}""", "batch, submitted")]
    [InlineData("""{"id":null,"batch":"b","status":"pending","submitted":"2026-12-07T05:30:01Z"}""", "'id'")]
    [InlineData("""{"id":"0194a1b2-0000-7000-8000-000000000009","batch":"b","status":"asleep","submitted":"2026-12-07T05:30:01Z"}""", "'status'")]
    [InlineData("""{"id":"0194a1b2-0000-7000-8000-000000000009","batch":"b","status":"pending","submitted":"2026-12-07T05:30:01Z","priority":"high"}""", "")]
    [InlineData("""{"id":"0194a1b2-0000-7000-8000-000000000009","batch":"b","status":"pending","submitted":"soon"}""", "RFC 3339")]
    [InlineData("""["id"]""", "JSON object")]
    public void Refuses_a_record_that_is_not_one(string wire, string told)
    {
        var error = Assert.ThrowsAny<Exception>(() => JsonSerializer.Deserialize<TaskRecord>(wire, DroverJson.Options));
        Assert.True(error is JsonException or InvalidOperationException, error.ToString());
        Assert.Contains(told, error.Message);
    }
}
