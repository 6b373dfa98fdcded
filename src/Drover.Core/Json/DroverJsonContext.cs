using System.Text.Json.Serialization;
using Drover.Contracts;
using Drover.Model;

namespace Drover.Json;

/// <summary>
/// Serialization code generated at build time for every wire type, so that the hot path (submits,
/// leases, reports) does not go through reflection-built metadata. The names follow the wire
/// format; <see cref="DroverJson"/> adds the converters (snake_case enums, UTC times).
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(TaskSpec))]
[JsonSerializable(typeof(List<TaskSpec>))]
[JsonSerializable(typeof(TaskSpec[]))]
[JsonSerializable(typeof(TaskRecord))]
[JsonSerializable(typeof(List<TaskRecord>))]
[JsonSerializable(typeof(IEnumerable<TaskRecord>))]
[JsonSerializable(typeof(IReadOnlyList<TaskRecord>))]
[JsonSerializable(typeof(ExecutionRecord))]
[JsonSerializable(typeof(List<ExecutionRecord>))]
[JsonSerializable(typeof(IReadOnlyList<ExecutionRecord>))]
[JsonSerializable(typeof(WorkerRecord))]
[JsonSerializable(typeof(List<WorkerRecord>))]
[JsonSerializable(typeof(IReadOnlyList<WorkerRecord>))]
[JsonSerializable(typeof(WorkerRegistration))]
[JsonSerializable(typeof(WorkerRegistered))]
[JsonSerializable(typeof(LeaseRequest))]
[JsonSerializable(typeof(LeaseResponse))]
[JsonSerializable(typeof(WorkerReport))]
[JsonSerializable(typeof(ReportResult))]
[JsonSerializable(typeof(ChannelFrame))]
[JsonSerializable(typeof(WaitRequest))]
[JsonSerializable(typeof(WaitResponse))]
[JsonSerializable(typeof(CreatedIds))]
[JsonSerializable(typeof(SignalRequest))]
[JsonSerializable(typeof(WorkerSettings))]
[JsonSerializable(typeof(StatusUpdate))]
public sealed partial class DroverJsonContext : JsonSerializerContext;
