using System.Buffers;
using System.Diagnostics;
using System.Text.Json;
using Drover.Contracts;
using Drover.Json;
using MessagePack;
using MessagePack.Formatters;
using MessagePack.Resolvers;

namespace Drover.Bench;

/// <summary>
/// The worker channel's two busy frames — a push of leased echo tasks and a report of their ends —
/// encoded and decoded in JSON (as they are sent) and in MessagePack (contractless, the args and
/// results as raw JSON inside), in this process: CPU per task and bytes per task of each.
/// </summary>
internal static class FramesScenario
{
    public static Result Run(int tasks, int repeat)
    {
        var leased = Enumerable.Range(0, tasks).Select(i => new LeasedTask
        {
            ExecutionId = Guid.CreateVersion7(), TaskId = Guid.CreateVersion7(), Attempt = 1, Handler = LeasedTask.EchoHandler,
            Args = JsonSerializer.SerializeToElement(new { item = i, name = $"job-{i}" }), LeaseExpires = DateTimeOffset.UtcNow.AddSeconds(30),
        }).ToList();
        var push = new ChannelFrame { Type = ChannelFrameType.Tasks, Tasks = leased };
        var report = new ChannelFrame
        {
            Type = ChannelFrameType.Report, Seq = 1,
            Report = new WorkerReport { Events = [.. leased.Select(l => new ReportEvent { Type = ReportEventType.Finished, ExecutionId = l.ExecutionId, ExitCode = 0, Result = l.Args })] },
        };
        var msgpack = MessagePackSerializerOptions.Standard.WithResolver(CompositeResolver.Create([new RawJsonFormatter()], [ContractlessStandardResolver.Instance]));

        var (jsonMicros, jsonBytes) = Measure(repeat, frame => JsonSerializer.SerializeToUtf8Bytes(frame, DroverJson.Options),
            bytes => JsonSerializer.Deserialize<ChannelFrame>(bytes, DroverJson.Options)!, push, report);
        var (packMicros, packBytes) = Measure(repeat, frame => MessagePackSerializer.Serialize(frame, msgpack),
            bytes => MessagePackSerializer.Deserialize<ChannelFrame>(bytes, msgpack), push, report);
        return new Result("frames (worker channel, per task)")
            .Add("tasks_per_frame", tasks)
            .Add("json_us_per_task", Math.Round(jsonMicros / tasks, 2))
            .Add("msgpack_us_per_task", Math.Round(packMicros / tasks, 2))
            .Add("json_bytes_per_task", jsonBytes / tasks)
            .Add("msgpack_bytes_per_task", packBytes / tasks)
            .Add("msgpack_over_json_time", Math.Round(packMicros / jsonMicros, 2));
    }

    /// <returns>The best time (µs) of encoding and decoding both frames once, and their encoded size.</returns>
    private static (double Micros, int Bytes) Measure(int repeat, Func<ChannelFrame, byte[]> encode, Func<byte[], ChannelFrame> decode, params ChannelFrame[] frames)
    {
        var best = double.MaxValue;
        var size = 0;
        for (var round = -3; round < repeat; round++)
        {
            var clock = Stopwatch.StartNew();
            size = 0;
            foreach (var frame in frames)
            {
                var bytes = encode(frame);
                size += bytes.Length;
                if (decode(bytes).Type != frame.Type) throw new InvalidOperationException("a frame did not survive the round trip");
            }
            if (round >= 0) best = Math.Min(best, clock.Elapsed.TotalMicroseconds);
        }
        return (best, size);
    }

    /// <summary>Args and results travel as their JSON text: a worker hands them to handlers as JSON anyway.</summary>
    private sealed class RawJsonFormatter : IMessagePackFormatter<JsonElement>, IMessagePackFormatter<JsonElement?>
    {
        public void Serialize(ref MessagePackWriter writer, JsonElement value, MessagePackSerializerOptions options) =>
            writer.WriteString(JsonSerializer.SerializeToUtf8Bytes(value));

        public JsonElement Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options)
        {
            var bytes = reader.ReadBytes()!.Value;
            return JsonDocument.Parse(bytes.ToArray()).RootElement;
        }

        public void Serialize(ref MessagePackWriter writer, JsonElement? value, MessagePackSerializerOptions options)
        {
            if (value is { } element) Serialize(ref writer, element, options);
            else writer.WriteNil();
        }

        JsonElement? IMessagePackFormatter<JsonElement?>.Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options) =>
            reader.TryReadNil() ? null : Deserialize(ref reader, options);
    }
}
