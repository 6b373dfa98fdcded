using System.Text.Json;
using System.Text.Json.Serialization;
using Drover.Model;
using static Drover.Json.WireMembers;

namespace Drover.Json;

/// <summary>
/// A task record on the wire, read and written by hand: the form the generated code gives
/// (snake_case names in declaration order, nulls left out), at a fraction of its cost. System.Text.Json
/// builds a record of init-only members through a pseudo-constructor, every value boxed into an
/// argument array first (dotnet/runtime#97612); reading records was half of a client's CPU per task
/// and writing them a tenth of the server's (issue 17). <c>TaskRecordJsonConverterTests</c> hold it
/// to the generated form member by member, so a member added to <see cref="TaskRecord"/> and not
/// here fails a test.
/// </summary>
public sealed class TaskRecordJsonConverter : JsonConverter<TaskRecord>
{
    private const string What = "task record";

    // The batch and handler read last on this thread: a wait's answer names the same few thousands of
    // times, and records that share one string each are that much less for a client to allocate and keep.
    [ThreadStatic] private static string? _lastBatch;
    [ThreadStatic] private static string? _lastHandler;

    public override TaskRecord Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        StartObject(ref reader, What);
        Guid? id = null;
        string? name = null, batch = null, group = null, shell = null, handler = null, output = null, container = null;
        string? statusMessage = null, error = null, stdout = null, stderr = null, clientId = null, reason = null, cacheKey = null;
        IReadOnlyList<string>? command = null, input = null, resource = null, containerOptions = null;
        IReadOnlyList<Guid>? requires = null;
        IReadOnlyDictionary<string, string>? env = null;
        JsonElement? args = null, result = null;
        int priority = 0, retry = 0, attempts = 0, failures = 0;
        int? exitCode = null;
        TimeSpan? timeout = null;
        DateTimeOffset? runAfter = null, submitted = null, assigned = null, started = null, completed = null, leaseExpires = null;
        OutputOn? outputOn = null;
        bool cache = false, statusSeen = false;
        TaskState status = default;
        double? progress = null;
        Guid? workerId = null, executionId = null, resubmittedFrom = null, resubmitted = null, cachedFrom = null;
        long? stdoutBytes = null, stderrBytes = null;
        TransferRecord? transfer = null;

        Span<char> nameBuffer = stackalloc char[32];
        while (NextMember(ref reader, nameBuffer, What, out var length, out var longName))
        {
            ReadOnlySpan<char> member = longName is null ? nameBuffer[..length] : longName;
            switch (member)
            {
                case "id": id = Required(ref reader, member, What).GetGuid(); break;
                case "name": name = reader.GetString(); break;
                case "batch": batch = Reused(ref reader, ref _lastBatch); break;
                case "group": group = reader.GetString(); break;
                case "command": command = Strings(ref reader); break;
                case "shell": shell = reader.GetString(); break;
                case "handler": handler = Reused(ref reader, ref _lastHandler); break;
                case "args": args = Element(ref reader); break;
                case "env": env = Other<Dictionary<string, string>>(ref reader, options); break;
                case "requires": requires = Guids(ref reader); break;
                case "priority": priority = Required(ref reader, member, What).GetInt32(); break;
                case "retry": retry = Required(ref reader, member, What).GetInt32(); break;
                case "timeout": timeout = Duration(ref reader, options); break;
                case "run_after": runAfter = NullableTime(ref reader, options); break;
                case "input": input = Strings(ref reader); break;
                case "resource": resource = Strings(ref reader); break;
                case "output": output = reader.GetString(); break;
                case "output_on": outputOn = NullableEnum<OutputOn>(ref reader, member); break;
                case "container": container = reader.GetString(); break;
                case "container_options": containerOptions = Strings(ref reader); break;
                case "cache": cache = Required(ref reader, member, What).GetBoolean(); break;
                case "status": status = Enum<TaskState>(ref reader, member); statusSeen = true; break;
                case "status_message": statusMessage = reader.GetString(); break;
                case "progress": progress = reader.TokenType == JsonTokenType.Null ? null : reader.GetDouble(); break;
                case "attempts": attempts = Required(ref reader, member, What).GetInt32(); break;
                case "failures": failures = Required(ref reader, member, What).GetInt32(); break;
                case "worker_id": workerId = NullableGuid(ref reader); break;
                case "execution_id": executionId = NullableGuid(ref reader); break;
                case "submitted": submitted = Time(ref Required(ref reader, member, What), options); break;
                case "assigned": assigned = NullableTime(ref reader, options); break;
                case "started": started = NullableTime(ref reader, options); break;
                case "completed": completed = NullableTime(ref reader, options); break;
                case "lease_expires": leaseExpires = NullableTime(ref reader, options); break;
                case "exit_code": exitCode = NullableInt(ref reader); break;
                case "result": result = Element(ref reader); break;
                case "error": error = reader.GetString(); break;
                case "stdout": stdout = reader.GetString(); break;
                case "stderr": stderr = reader.GetString(); break;
                case "stdout_bytes": stdoutBytes = NullableLong(ref reader); break;
                case "stderr_bytes": stderrBytes = NullableLong(ref reader); break;
                case "client_id": clientId = reader.GetString(); break;
                case "reason": reason = reader.GetString(); break;
                case "resubmitted_from": resubmittedFrom = NullableGuid(ref reader); break;
                case "resubmitted": resubmitted = NullableGuid(ref reader); break;
                case "cached_from": cachedFrom = NullableGuid(ref reader); break;
                case "cache_key": cacheKey = reader.GetString(); break;
                case "transfer": transfer = Other<TransferRecord>(ref reader, options); break;
                default: Unknown(ref reader, member, typeof(TaskRecord), options); break;
            }
        }

        if (id is null || batch is null || !statusSeen || submitted is null)
            Missing(What, id is null ? "id" : null, batch is null ? "batch" : null, statusSeen ? null : "status", submitted is null ? "submitted" : null);
        return new TaskRecord
        {
            Id = id!.Value, Name = name, Batch = batch!, Group = group, Command = command, Shell = shell, Handler = handler,
            Args = args, Env = env, Requires = requires, Priority = priority, Retry = retry, Timeout = timeout, RunAfter = runAfter,
            Input = input, Resource = resource, Output = output, OutputOn = outputOn, Container = container,
            ContainerOptions = containerOptions, Cache = cache, Status = status, StatusMessage = statusMessage, Progress = progress,
            Attempts = attempts, Failures = failures, WorkerId = workerId, ExecutionId = executionId, Submitted = submitted!.Value,
            Assigned = assigned, Started = started, Completed = completed, LeaseExpires = leaseExpires, ExitCode = exitCode,
            Result = result, Error = error, Stdout = stdout, Stderr = stderr, StdoutBytes = stdoutBytes, StderrBytes = stderrBytes,
            ClientId = clientId, Reason = reason, ResubmittedFrom = resubmittedFrom, Resubmitted = resubmitted,
            CachedFrom = cachedFrom, CacheKey = cacheKey, Transfer = transfer,
        };
    }

    public override void Write(Utf8JsonWriter writer, TaskRecord value, JsonSerializerOptions options)
    {
        writer.WriteStartObject();
        writer.WriteString(Names.Id, value.Id);
        String(writer, Names.Name, value.Name);
        String(writer, Names.Batch, value.Batch);
        String(writer, Names.Group, value.Group);
        Strings(writer, Names.Command, value.Command);
        String(writer, Names.Shell, value.Shell);
        String(writer, Names.Handler, value.Handler);
        Element(writer, Names.Args, value.Args);
        Other(writer, Names.Env, value.Env, options);
        Guids(writer, Names.Requires, value.Requires);
        writer.WriteNumber(Names.Priority, value.Priority);
        writer.WriteNumber(Names.Retry, value.Retry);
        Duration(writer, Names.Timeout, value.Timeout, options);
        Time(writer, Names.RunAfter, value.RunAfter, options);
        Strings(writer, Names.Input, value.Input);
        Strings(writer, Names.Resource, value.Resource);
        String(writer, Names.Output, value.Output);
        Enum(writer, Names.OutputOn, value.OutputOn);
        String(writer, Names.Container, value.Container);
        Strings(writer, Names.ContainerOptions, value.ContainerOptions);
        writer.WriteBoolean(Names.Cache, value.Cache);
        writer.WriteString(Names.Status, Enums.Name(value.Status));
        String(writer, Names.StatusMessage, value.StatusMessage);
        if (value.Progress is { } progress) writer.WriteNumber(Names.Progress, progress);
        writer.WriteNumber(Names.Attempts, value.Attempts);
        writer.WriteNumber(Names.Failures, value.Failures);
        Guid(writer, Names.WorkerId, value.WorkerId);
        Guid(writer, Names.ExecutionId, value.ExecutionId);
        Time(writer, Names.Submitted, value.Submitted, options);
        Time(writer, Names.Assigned, value.Assigned, options);
        Time(writer, Names.Started, value.Started, options);
        Time(writer, Names.Completed, value.Completed, options);
        Time(writer, Names.LeaseExpires, value.LeaseExpires, options);
        Int(writer, Names.ExitCode, value.ExitCode);
        Element(writer, Names.Result, value.Result);
        String(writer, Names.Error, value.Error);
        String(writer, Names.Stdout, value.Stdout);
        String(writer, Names.Stderr, value.Stderr);
        Int(writer, Names.StdoutBytes, value.StdoutBytes);
        Int(writer, Names.StderrBytes, value.StderrBytes);
        String(writer, Names.ClientId, value.ClientId);
        String(writer, Names.Reason, value.Reason);
        Guid(writer, Names.ResubmittedFrom, value.ResubmittedFrom);
        Guid(writer, Names.Resubmitted, value.Resubmitted);
        Guid(writer, Names.CachedFrom, value.CachedFrom);
        String(writer, Names.CacheKey, value.CacheKey);
        Other(writer, Names.Transfer, value.Transfer, options);
        writer.WriteEndObject();
    }

    /// <summary>The members' names, encoded once.</summary>
    private static class Names
    {
        public static readonly JsonEncodedText Id = JsonEncodedText.Encode("id"), Name = JsonEncodedText.Encode("name"),
            Batch = JsonEncodedText.Encode("batch"), Group = JsonEncodedText.Encode("group"), Command = JsonEncodedText.Encode("command"),
            Shell = JsonEncodedText.Encode("shell"), Handler = JsonEncodedText.Encode("handler"), Args = JsonEncodedText.Encode("args"),
            Env = JsonEncodedText.Encode("env"), Requires = JsonEncodedText.Encode("requires"), Priority = JsonEncodedText.Encode("priority"),
            Retry = JsonEncodedText.Encode("retry"), Timeout = JsonEncodedText.Encode("timeout"), RunAfter = JsonEncodedText.Encode("run_after"),
            Input = JsonEncodedText.Encode("input"), Resource = JsonEncodedText.Encode("resource"), Output = JsonEncodedText.Encode("output"),
            OutputOn = JsonEncodedText.Encode("output_on"), Container = JsonEncodedText.Encode("container"),
            ContainerOptions = JsonEncodedText.Encode("container_options"), Cache = JsonEncodedText.Encode("cache"),
            Status = JsonEncodedText.Encode("status"), StatusMessage = JsonEncodedText.Encode("status_message"),
            Progress = JsonEncodedText.Encode("progress"), Attempts = JsonEncodedText.Encode("attempts"),
            Failures = JsonEncodedText.Encode("failures"), WorkerId = JsonEncodedText.Encode("worker_id"),
            ExecutionId = JsonEncodedText.Encode("execution_id"), Submitted = JsonEncodedText.Encode("submitted"),
            Assigned = JsonEncodedText.Encode("assigned"), Started = JsonEncodedText.Encode("started"),
            Completed = JsonEncodedText.Encode("completed"), LeaseExpires = JsonEncodedText.Encode("lease_expires"),
            ExitCode = JsonEncodedText.Encode("exit_code"), Result = JsonEncodedText.Encode("result"), Error = JsonEncodedText.Encode("error"),
            Stdout = JsonEncodedText.Encode("stdout"), Stderr = JsonEncodedText.Encode("stderr"),
            StdoutBytes = JsonEncodedText.Encode("stdout_bytes"), StderrBytes = JsonEncodedText.Encode("stderr_bytes"),
            ClientId = JsonEncodedText.Encode("client_id"), Reason = JsonEncodedText.Encode("reason"),
            ResubmittedFrom = JsonEncodedText.Encode("resubmitted_from"), Resubmitted = JsonEncodedText.Encode("resubmitted"),
            CachedFrom = JsonEncodedText.Encode("cached_from"), CacheKey = JsonEncodedText.Encode("cache_key"),
            Transfer = JsonEncodedText.Encode("transfer");
    }
}
