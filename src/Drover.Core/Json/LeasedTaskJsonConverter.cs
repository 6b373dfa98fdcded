using System.Text.Json;
using System.Text.Json.Serialization;
using Drover.Contracts;
using Drover.Model;
using static Drover.Json.WireMembers;

namespace Drover.Json;

/// <summary>
/// A leased task on the worker channel, read and written by hand in the generated form: the worker
/// reads every task it runs, and the generated code's pseudo-constructor (init-only members, boxed into
/// an argument array) was a seventh of a worker's CPU per echo task (issue 17). Registered for the
/// lenient options only (<see cref="DroverJson.Options"/>); <c>WireConverterTests</c> hold it to the
/// generated form member by member.
/// </summary>
public sealed class LeasedTaskJsonConverter : JsonConverter<LeasedTask>
{
    private const string What = "leased task";

    public override LeasedTask Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        StartObject(ref reader, What);
        Guid? executionId = null, taskId = null;
        int? attempt = null;
        DateTimeOffset? leaseExpires = null;
        IReadOnlyList<string>? command = null, input = null, resource = null, containerOptions = null;
        string? shell = null, handler = null, output = null, container = null, taskToken = null;
        JsonElement? args = null;
        IReadOnlyDictionary<string, string>? env = null;
        TimeSpan? timeout = null;
        OutputOn? outputOn = null;
        var cache = false;

        Span<char> nameBuffer = stackalloc char[32];
        while (NextMember(ref reader, nameBuffer, What, out var length, out var longName))
        {
            ReadOnlySpan<char> member = longName is null ? nameBuffer[..length] : longName;
            switch (member)
            {
                case "execution_id": executionId = Required(ref reader, member, What).GetGuid(); break;
                case "task_id": taskId = Required(ref reader, member, What).GetGuid(); break;
                case "attempt": attempt = Required(ref reader, member, What).GetInt32(); break;
                case "command": command = Strings(ref reader); break;
                case "shell": shell = reader.GetString(); break;
                case "handler": handler = reader.GetString(); break;
                case "args": args = Element(ref reader); break;
                case "env": env = Other<Dictionary<string, string>>(ref reader, options); break;
                case "timeout": timeout = Duration(ref reader, options); break;
                case "input": input = Strings(ref reader); break;
                case "resource": resource = Strings(ref reader); break;
                case "output": output = reader.GetString(); break;
                case "output_on": outputOn = NullableEnum<OutputOn>(ref reader, member); break;
                case "container": container = reader.GetString(); break;
                case "container_options": containerOptions = Strings(ref reader); break;
                case "cache": cache = Required(ref reader, member, What).GetBoolean(); break;
                case "lease_expires": leaseExpires = Time(ref Required(ref reader, member, What), options); break;
                case "task_token": taskToken = reader.GetString(); break;
                default: Unknown(ref reader, member, typeof(LeasedTask), options); break;
            }
        }

        if (executionId is null || taskId is null || attempt is null || leaseExpires is null)
            Missing(What, executionId is null ? "execution_id" : null, taskId is null ? "task_id" : null, attempt is null ? "attempt" : null, leaseExpires is null ? "lease_expires" : null);
        return new LeasedTask
        {
            ExecutionId = executionId!.Value, TaskId = taskId!.Value, Attempt = attempt!.Value, Command = command, Shell = shell,
            Handler = handler, Args = args, Env = env, Timeout = timeout, Input = input, Resource = resource, Output = output,
            OutputOn = outputOn, Container = container, ContainerOptions = containerOptions, Cache = cache,
            LeaseExpires = leaseExpires!.Value, TaskToken = taskToken,
        };
    }

    public override void Write(Utf8JsonWriter writer, LeasedTask value, JsonSerializerOptions options)
    {
        writer.WriteStartObject();
        writer.WriteString(Names.ExecutionId, value.ExecutionId);
        writer.WriteString(Names.TaskId, value.TaskId);
        writer.WriteNumber(Names.Attempt, value.Attempt);
        Strings(writer, Names.Command, value.Command);
        String(writer, Names.Shell, value.Shell);
        String(writer, Names.Handler, value.Handler);
        Element(writer, Names.Args, value.Args);
        Other(writer, Names.Env, value.Env, options);
        Duration(writer, Names.Timeout, value.Timeout, options);
        Strings(writer, Names.Input, value.Input);
        Strings(writer, Names.Resource, value.Resource);
        String(writer, Names.Output, value.Output);
        Enum(writer, Names.OutputOn, value.OutputOn);
        String(writer, Names.Container, value.Container);
        Strings(writer, Names.ContainerOptions, value.ContainerOptions);
        writer.WriteBoolean(Names.Cache, value.Cache);
        Time(writer, Names.LeaseExpires, value.LeaseExpires, options);
        String(writer, Names.TaskToken, value.TaskToken);
        writer.WriteEndObject();
    }

    /// <summary>The members' names, encoded once.</summary>
    private static class Names
    {
        public static readonly JsonEncodedText ExecutionId = JsonEncodedText.Encode("execution_id"), TaskId = JsonEncodedText.Encode("task_id"),
            Attempt = JsonEncodedText.Encode("attempt"), Command = JsonEncodedText.Encode("command"), Shell = JsonEncodedText.Encode("shell"),
            Handler = JsonEncodedText.Encode("handler"), Args = JsonEncodedText.Encode("args"), Env = JsonEncodedText.Encode("env"),
            Timeout = JsonEncodedText.Encode("timeout"), Input = JsonEncodedText.Encode("input"), Resource = JsonEncodedText.Encode("resource"),
            Output = JsonEncodedText.Encode("output"), OutputOn = JsonEncodedText.Encode("output_on"), Container = JsonEncodedText.Encode("container"),
            ContainerOptions = JsonEncodedText.Encode("container_options"), Cache = JsonEncodedText.Encode("cache"),
            LeaseExpires = JsonEncodedText.Encode("lease_expires"), TaskToken = JsonEncodedText.Encode("task_token");
    }
}
