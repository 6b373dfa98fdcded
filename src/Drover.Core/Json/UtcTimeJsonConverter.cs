using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Drover.Json;

/// <summary>Times on the wire are RFC 3339 in UTC with a Z ("2026-11-21T20:48:31.1234567Z"); any offset is read.</summary>
public sealed class UtcTimeJsonConverter : JsonConverter<DateTimeOffset>
{
    public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.String) throw Invalid();
        // What Drover writes (a UTC time with its Z) is read by the reader's own ISO 8601 parser, without
        // a string; anything else (no offset: taken as UTC, or another form .NET reads) by the general one.
        if (!reader.ValueIsEscaped && reader.ValueSpan is [.., (byte)'Z'] && reader.TryGetDateTimeOffset(out var fast))
            return fast.ToUniversalTime();
        if (DateTimeOffset.TryParse(reader.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var value))
            return value;
        throw Invalid();
    }

    /// <summary>Always seven digits of fraction: fixed width, as the stores keep it. "O" of a UTC DateTime is that form, on .NET's fast path.</summary>
    public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options)
    {
        Span<byte> utf8 = stackalloc byte[28];
        if (!value.UtcDateTime.TryFormat(utf8, out var written, "O", CultureInfo.InvariantCulture)) throw new FormatException("a time outside what RFC 3339 writes");
        writer.WriteStringValue(utf8[..written]);
    }

    private static JsonException Invalid() => new("must be a time in RFC 3339 form, such as 2026-11-21T20:48:31Z");
}
