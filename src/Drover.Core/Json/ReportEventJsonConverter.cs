using System.Text.Json;
using System.Text.Json.Serialization;
using Drover.Contracts;
using Drover.Model;
using static Drover.Json.WireMembers;

namespace Drover.Json;

/// <summary>
/// A worker's report event on its channel, read and written by hand in the generated form: the server
/// reads one or two per task, and the generated code's pseudo-constructor (init-only members, boxed
/// into an argument array) cost more than the rest of reading a report (issue 17). Registered for the
/// lenient options only (<see cref="DroverJson.Options"/>): an HTTP report is read strictly, with the
/// generated code's errors. <c>WireConverterTests</c> hold it to the generated form member by member.
/// </summary>
public sealed class ReportEventJsonConverter : JsonConverter<ReportEvent>
{
    private const string What = "report event";

    public override ReportEvent Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        StartObject(ref reader, What);
        ReportEventType? type = null;
        Guid? executionId = null, cachedFrom = null;
        int? exitCode = null;
        var timedOut = false;
        string? error = null, stdout = null, stderr = null, cacheKey = null;
        JsonElement? result = null;
        long? stdoutBytes = null, stderrBytes = null;
        TransferRecord? transfer = null;

        Span<char> nameBuffer = stackalloc char[32];
        while (NextMember(ref reader, nameBuffer, What, out var length, out var longName))
        {
            ReadOnlySpan<char> member = longName is null ? nameBuffer[..length] : longName;
            switch (member)
            {
                case "type": type = Enum<ReportEventType>(ref reader, member); break;
                case "execution_id": executionId = Required(ref reader, member, What).GetGuid(); break;
                case "exit_code": exitCode = NullableInt(ref reader); break;
                case "timed_out": timedOut = Required(ref reader, member, What).GetBoolean(); break;
                case "error": error = reader.GetString(); break;
                case "result": result = Element(ref reader); break;
                case "stdout": stdout = reader.GetString(); break;
                case "stderr": stderr = reader.GetString(); break;
                case "stdout_bytes": stdoutBytes = NullableLong(ref reader); break;
                case "stderr_bytes": stderrBytes = NullableLong(ref reader); break;
                case "transfer": transfer = Other<TransferRecord>(ref reader, options); break;
                case "cached_from": cachedFrom = NullableGuid(ref reader); break;
                case "cache_key": cacheKey = reader.GetString(); break;
                default: Unknown(ref reader, member, typeof(ReportEvent), options); break;
            }
        }

        if (type is null || executionId is null) Missing(What, type is null ? "type" : null, executionId is null ? "execution_id" : null);
        return new ReportEvent
        {
            Type = type!.Value, ExecutionId = executionId!.Value, ExitCode = exitCode, TimedOut = timedOut, Error = error, Result = result,
            Stdout = stdout, Stderr = stderr, StdoutBytes = stdoutBytes, StderrBytes = stderrBytes, Transfer = transfer,
            CachedFrom = cachedFrom, CacheKey = cacheKey,
        };
    }

    public override void Write(Utf8JsonWriter writer, ReportEvent value, JsonSerializerOptions options)
    {
        writer.WriteStartObject();
        writer.WriteString(Names.Type, Enums.Name(value.Type));
        writer.WriteString(Names.ExecutionId, value.ExecutionId);
        Int(writer, Names.ExitCode, value.ExitCode);
        writer.WriteBoolean(Names.TimedOut, value.TimedOut);
        String(writer, Names.Error, value.Error);
        Element(writer, Names.Result, value.Result);
        String(writer, Names.Stdout, value.Stdout);
        String(writer, Names.Stderr, value.Stderr);
        Int(writer, Names.StdoutBytes, value.StdoutBytes);
        Int(writer, Names.StderrBytes, value.StderrBytes);
        Other(writer, Names.Transfer, value.Transfer, options);
        Guid(writer, Names.CachedFrom, value.CachedFrom);
        String(writer, Names.CacheKey, value.CacheKey);
        writer.WriteEndObject();
    }

    /// <summary>The members' names, encoded once.</summary>
    private static class Names
    {
        public static readonly JsonEncodedText Type = JsonEncodedText.Encode("type"), ExecutionId = JsonEncodedText.Encode("execution_id"),
            ExitCode = JsonEncodedText.Encode("exit_code"), TimedOut = JsonEncodedText.Encode("timed_out"), Error = JsonEncodedText.Encode("error"),
            Result = JsonEncodedText.Encode("result"), Stdout = JsonEncodedText.Encode("stdout"), Stderr = JsonEncodedText.Encode("stderr"),
            StdoutBytes = JsonEncodedText.Encode("stdout_bytes"), StderrBytes = JsonEncodedText.Encode("stderr_bytes"),
            Transfer = JsonEncodedText.Encode("transfer"), CachedFrom = JsonEncodedText.Encode("cached_from"), CacheKey = JsonEncodedText.Encode("cache_key");
    }
}
