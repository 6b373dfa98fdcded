using System.Text.Json;
using System.Text.Json.Serialization;

namespace Drover.Json;

/// <summary>Reads a duration from "30s"-style text or a number of seconds; writes the text form.</summary>
public sealed class NullableDurationJsonConverter : JsonConverter<TimeSpan?>
{
    public override bool HandleNull => true;

    public override TimeSpan? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Null:
                return null;
            case JsonTokenType.Number when Durations.TryFromSeconds(reader.GetDouble(), out var fromNumber):
                return fromNumber;
            case JsonTokenType.String when Durations.TryParse(reader.GetString(), out var fromText):
                return fromText;
            default:
                throw new JsonException("must be a duration such as \"30s\", \"5m\", \"1h30m\" or a number of seconds");
        }
    }

    public override void Write(Utf8JsonWriter writer, TimeSpan? value, JsonSerializerOptions options)
    {
        if (value is null) writer.WriteNullValue();
        else writer.WriteStringValue(Durations.Format(value.Value));
    }
}
