using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Drover.Json;

/// <summary>
/// What the hand-written wire converters share: members read and written in the form the generated
/// code gives (snake_case, nulls left out, times as <see cref="UtcTimeJsonConverter"/> writes them).
/// </summary>
internal static class WireMembers
{
    private static readonly UtcTimeJsonConverter Times = new();
    private static readonly NullableDurationJsonConverter Durations = new();

    /// <summary>Refuses a value that is not an object, before its members are read.</summary>
    public static void StartObject(ref Utf8JsonReader reader, string type)
    {
        if (reader.TokenType != JsonTokenType.StartObject) throw new JsonException($"a {type} must be a JSON object");
    }

    /// <summary>
    /// Moves to the next member's value: its name is put in <paramref name="buffer"/> without a string
    /// (names are short ASCII) and <paramref name="length"/> says how long it is, or, escaped or longer,
    /// it is <paramref name="longName"/>. False at the object's end.
    /// </summary>
    public static bool NextMember(ref Utf8JsonReader reader, scoped Span<char> buffer, string type, out int length, out string? longName)
    {
        length = 0;
        longName = null;
        Next(ref reader, type);
        if (reader.TokenType == JsonTokenType.EndObject) return false;
        if (reader.TokenType != JsonTokenType.PropertyName) throw new JsonException($"a {type} must be a JSON object");
        if (reader.ValueIsEscaped || reader.HasValueSequence || reader.ValueSpan.Length > buffer.Length) longName = reader.GetString();
        else length = Encoding.UTF8.GetChars(reader.ValueSpan, buffer);
        Next(ref reader, type);
        return true;
    }

    /// <summary>A string (or null); <paramref name="last"/> itself when it holds the same text, so that values repeated from record to record are one string.</summary>
    public static string? Reused(ref Utf8JsonReader reader, ref string? last)
    {
        if (reader.TokenType == JsonTokenType.String && last is not null && reader.ValueTextEquals(last)) return last;
        var text = reader.GetString();
        if (text is not null) last = text;
        return text;
    }

    /// <summary>The next token, which a well-formed object has.</summary>
    private static void Next(ref Utf8JsonReader reader, string type)
    {
        if (!reader.Read()) throw new JsonException($"a {type} ended early");
    }

    /// <summary>A member the type does not have: skipped (a newer peer may send it), or refused in the words System.Text.Json uses, which request errors parse.</summary>
    public static void Unknown(ref Utf8JsonReader reader, scoped ReadOnlySpan<char> member, Type type, JsonSerializerOptions options)
    {
        if (options.UnmappedMemberHandling == JsonUnmappedMemberHandling.Disallow)
            throw new JsonException($"The JSON property '{member}' could not be mapped to any .NET member contained in type '{type}'.");
        reader.Skip();
    }

    public static ref Utf8JsonReader Required(ref Utf8JsonReader reader, scoped ReadOnlySpan<char> member, string type)
    {
        if (reader.TokenType == JsonTokenType.Null) throw new JsonException($"'{member}' of a {type} must not be null");
        return ref reader;
    }

    /// <summary>Refuses an object without its required members (the null ones are those it has).</summary>
    public static void Missing(string type, params string?[] members) =>
        throw new JsonException($"a {type} must have {string.Join(", ", members.OfType<string>())}");

    public static T Enum<T>(ref Utf8JsonReader reader, scoped ReadOnlySpan<char> member) where T : struct, Enum
    {
        if (reader.TokenType == JsonTokenType.String)
        {
            // Names are short: copied into a small buffer rather than made a string.
            Span<char> name = stackalloc char[32];
            if (!reader.HasValueSequence && reader.ValueSpan.Length <= name.Length
                    ? Enums.TryParse<T>(name[..reader.CopyString(name)], out var value)
                    : Enums.TryParse<T>(reader.GetString(), out value))
                return value;
        }
        throw new JsonException($"'{member}' must be one of {string.Join(", ", Enums.AllNames<T>())}");
    }

    public static T? NullableEnum<T>(ref Utf8JsonReader reader, scoped ReadOnlySpan<char> member) where T : struct, Enum =>
        reader.TokenType == JsonTokenType.Null ? null : Enum<T>(ref reader, member);

    public static DateTimeOffset Time(ref Utf8JsonReader reader, JsonSerializerOptions options) => Times.Read(ref reader, typeof(DateTimeOffset), options);

    public static DateTimeOffset? NullableTime(ref Utf8JsonReader reader, JsonSerializerOptions options) =>
        reader.TokenType == JsonTokenType.Null ? null : Time(ref reader, options);

    public static TimeSpan? Duration(ref Utf8JsonReader reader, JsonSerializerOptions options) => Durations.Read(ref reader, typeof(TimeSpan?), options);

    public static Guid? NullableGuid(ref Utf8JsonReader reader) => reader.TokenType == JsonTokenType.Null ? null : reader.GetGuid();

    public static int? NullableInt(ref Utf8JsonReader reader) => reader.TokenType == JsonTokenType.Null ? null : reader.GetInt32();

    public static long? NullableLong(ref Utf8JsonReader reader) => reader.TokenType == JsonTokenType.Null ? null : reader.GetInt64();

    /// <summary>As the generated code reads a <c>JsonElement?</c>: a JSON null is no value.</summary>
    public static JsonElement? Element(ref Utf8JsonReader reader) => reader.TokenType == JsonTokenType.Null ? null : JsonElement.ParseValue(ref reader);

    public static List<string>? Strings(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.Null) return null;
        if (reader.TokenType != JsonTokenType.StartArray) throw new JsonException("must be an array of strings");
        var strings = new List<string>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            strings.Add(reader.GetString() ?? throw new JsonException("must be an array of strings"));
        return strings;
    }

    public static List<Guid>? Guids(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.Null) return null;
        if (reader.TokenType != JsonTokenType.StartArray) throw new JsonException("must be an array of ids");
        var guids = new List<Guid>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray) guids.Add(reader.GetGuid());
        return guids;
    }

    /// <summary>A member of a type the generated code handles (rare ones: environments, transfers).</summary>
    public static T? Other<T>(ref Utf8JsonReader reader, JsonSerializerOptions options) where T : class =>
        reader.TokenType == JsonTokenType.Null ? null : JsonSerializer.Deserialize(ref reader, Info<T>(options));

    public static void Other<T>(Utf8JsonWriter writer, JsonEncodedText name, T? value, JsonSerializerOptions options) where T : class
    {
        if (value is null) return;
        writer.WritePropertyName(name);
        JsonSerializer.Serialize(writer, value, Info<T>(options));
    }

    private static JsonTypeInfo<T> Info<T>(JsonSerializerOptions options) => (JsonTypeInfo<T>)options.GetTypeInfo(typeof(T));

    public static void String(Utf8JsonWriter writer, JsonEncodedText name, string? value)
    {
        if (value is not null) writer.WriteString(name, value);
    }

    public static void Strings(Utf8JsonWriter writer, JsonEncodedText name, IReadOnlyList<string>? values)
    {
        if (values is null) return;
        writer.WriteStartArray(name);
        foreach (var value in values) writer.WriteStringValue(value);
        writer.WriteEndArray();
    }

    public static void Guids(Utf8JsonWriter writer, JsonEncodedText name, IReadOnlyList<Guid>? values)
    {
        if (values is null) return;
        writer.WriteStartArray(name);
        foreach (var value in values) writer.WriteStringValue(value);
        writer.WriteEndArray();
    }

    public static void Guid(Utf8JsonWriter writer, JsonEncodedText name, Guid? value)
    {
        if (value is { } guid) writer.WriteString(name, guid);
    }

    public static void Int(Utf8JsonWriter writer, JsonEncodedText name, long? value)
    {
        if (value is { } number) writer.WriteNumber(name, number);
    }

    public static void Enum<T>(Utf8JsonWriter writer, JsonEncodedText name, T? value) where T : struct, Enum
    {
        if (value is { } known) writer.WriteString(name, Enums.Name(known));
    }

    public static void Time(Utf8JsonWriter writer, JsonEncodedText name, DateTimeOffset? value, JsonSerializerOptions options)
    {
        if (value is not { } time) return;
        writer.WritePropertyName(name);
        Times.Write(writer, time, options);
    }

    public static void Duration(Utf8JsonWriter writer, JsonEncodedText name, TimeSpan? value, JsonSerializerOptions options)
    {
        if (value is not { } duration) return;
        writer.WritePropertyName(name);
        Durations.Write(writer, duration, options);
    }

    public static void Element(Utf8JsonWriter writer, JsonEncodedText name, JsonElement? value)
    {
        if (value is not { } element) return;
        writer.WritePropertyName(name);
        element.WriteTo(writer);
    }
}
