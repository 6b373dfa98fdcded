using System.Text.Json;
using Drover.Contracts;
using Drover.Json;
using Drover.Model;

namespace Drover.Core.Tests;

/// <summary>The channel's hand-written converters (leased tasks, report events) against System.Text.Json's generated form, member by member.</summary>
public sealed class WireConverterTests
{
    private static readonly DateTimeOffset At = new(2026, 12, 7, 5, 30, 1, 234, TimeSpan.Zero);

    /// <summary>Drover's settings as requests are read: the generated code for both types.</summary>
    private static JsonSerializerOptions Generated => DroverJson.Strict;

    private static LeasedTask FullLease() => new()
    {
        ExecutionId = Guid.Parse("0194a1b2-0000-7000-8000-000000000001"), TaskId = Guid.Parse("0194a1b2-0000-7000-8000-000000000002"), Attempt = 3,
        Command = ["sh", "-c", "echo \"hi\" é"], Shell = "bash", Handler = "sum", Args = JsonDocument.Parse("""{"a":[1,2.5,null,"x"]}""").RootElement,
        Env = new Dictionary<string, string> { ["K"] = "v" }, Timeout = TimeSpan.FromMinutes(90), Input = ["s3://b/in/"], Resource = ["s3://b/r"],
        Output = "s3://b/out/", OutputOn = OutputOn.Always, Container = "alpine:3", ContainerOptions = ["--cpus", "1"], Cache = true,
        LeaseExpires = At, TaskToken = "token",
    };

    private static LeasedTask MinimalLease() => new()
    {
        ExecutionId = Guid.Parse("0194a1b2-0000-7000-8000-000000000003"), TaskId = Guid.Parse("0194a1b2-0000-7000-8000-000000000004"), Attempt = 1, LeaseExpires = At,
    };

    private static ReportEvent FullEvent() => new()
    {
        Type = ReportEventType.Finished, ExecutionId = Guid.Parse("0194a1b2-0000-7000-8000-000000000005"), ExitCode = 2, TimedOut = true, Error = "boom",
        Result = JsonDocument.Parse("[true,{}]").RootElement, Stdout = "out\n", Stderr = "err\u0001", StdoutBytes = 4, StderrBytes = 5,
        Transfer = new TransferRecord { Phase = ExecutionPhase.Running, Folder = "/tmp/r", BytesIn = 1, BytesOut = 2, StagingSeconds = 0.25 },
        CachedFrom = Guid.Parse("0194a1b2-0000-7000-8000-000000000006"), CacheKey = "sha256:abc",
    };

    private static ReportEvent MinimalEvent() => new() { Type = ReportEventType.Started, ExecutionId = Guid.Parse("0194a1b2-0000-7000-8000-000000000007") };

    [Fact]
    public void The_full_samples_set_every_member_the_wire_has()
    {
        AssertEveryMember(FullLease(), DroverJsonContext.Default.LeasedTask.Properties);
        AssertEveryMember(FullEvent(), DroverJsonContext.Default.ReportEvent.Properties);
    }

    // (Neither type has a member left off the wire.)
    private static void AssertEveryMember<T>(T sample, IEnumerable<System.Text.Json.Serialization.Metadata.JsonPropertyInfo> members) =>
        Assert.Equal(members.Select(p => p.Name).Order(StringComparer.Ordinal),
            JsonSerializer.SerializeToElement(sample, Generated).EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));

    [Fact]
    public void Leases_are_written_and_read_as_the_generated_code_does()
    {
        foreach (var lease in new[] { FullLease(), MinimalLease(), MinimalLease() with { Args = JsonDocument.Parse("null").RootElement, Command = [] } })
            AssertSameAsGenerated(lease);
    }

    [Fact]
    public void Events_are_written_and_read_as_the_generated_code_does()
    {
        foreach (var e in new[] { FullEvent(), MinimalEvent(), MinimalEvent() with { ExitCode = 0, Stdout = "" } })
            AssertSameAsGenerated(e);
    }

    private static void AssertSameAsGenerated<T>(T value)
    {
        var wire = JsonSerializer.Serialize(value, Generated);
        Assert.Equal(wire, JsonSerializer.Serialize(value, DroverJson.Options));
        var frame = JsonSerializer.Serialize(new List<T> { value, value }, Generated);
        Assert.Equal(frame, JsonSerializer.Serialize(new List<T> { value, value }, DroverJson.Options));
        var byHand = JsonSerializer.Deserialize<T>(wire, DroverJson.Options);
        var generated = JsonSerializer.Deserialize<T>(wire, Generated);
        Assert.Equal(JsonSerializer.Serialize(generated, Generated), JsonSerializer.Serialize(byHand, Generated));
    }

    [Fact]
    public void A_frame_of_both_reads_as_the_generated_code_reads_it()
    {
        var push = new ChannelFrame { Type = ChannelFrameType.Tasks, Tasks = [FullLease(), MinimalLease()] };
        var report = new ChannelFrame { Type = ChannelFrameType.Report, Seq = 7, Report = new WorkerReport { Events = [FullEvent(), MinimalEvent()] } };
        foreach (var frame in new[] { push, report })
        {
            var wire = JsonSerializer.Serialize(frame, Generated);
            Assert.Equal(wire, JsonSerializer.Serialize(frame, DroverJson.Options));
            Assert.Equal(wire, JsonSerializer.Serialize(JsonSerializer.Deserialize<ChannelFrame>(wire, DroverJson.Options), Generated));
        }
    }

    [Fact]
    public void Unknown_members_from_a_newer_peer_are_skipped_and_missing_ones_refused()
    {
        var lease = JsonSerializer.Deserialize<LeasedTask>(
            """{"lease_expires":"2026-12-07T05:30:01Z","attempt":2,"from_later":{"a":[1]},"task_id":"0194a1b2-0000-7000-8000-000000000004","execution_id":"0194a1b2-0000-7000-8000-000000000003"}""",
            DroverJson.Options)!;
        Assert.Equal(2, lease.Attempt);
        var e = JsonSerializer.Deserialize<ReportEvent>("""{"type":"output","execution_id":"0194a1b2-0000-7000-8000-000000000003","new":1}""", DroverJson.Options)!;
        Assert.Equal(ReportEventType.Output, e.Type);

        Assert.Contains("task_id, attempt", Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<LeasedTask>(
            """{"execution_id":"0194a1b2-0000-7000-8000-000000000003","lease_expires":"2026-12-07T05:30:01Z"}""", DroverJson.Options)).Message);
        Assert.Contains("'type'", Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<ReportEvent>(
            """{"type":"exploded","execution_id":"0194a1b2-0000-7000-8000-000000000003"}""", DroverJson.Options)).Message);
    }
}
