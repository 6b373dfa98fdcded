using System.Buffers;
using System.Globalization;
using System.Numerics;
using System.Text.Json;

namespace Drover.Datasets;

/// <summary>Values from DuckDB as JSON, and JSON values compared as the values they stand for.</summary>
public static class JsonValues
{
    public static JsonElement Null { get; } = JsonDocument.Parse("null").RootElement;

    /// <summary>A value DuckDB returned: numbers stay numbers (NaN and infinities become null: JSON has none), times become ISO 8601 text.</summary>
    public static JsonElement From(object? value)
    {
        var buffer = new ArrayBufferWriter<byte>(64);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            switch (value)
            {
                case null or DBNull:
                    writer.WriteNullValue();
                    break;
                case bool b:
                    writer.WriteBooleanValue(b);
                    break;
                case sbyte or byte or short or ushort or int or uint or long:
                    writer.WriteNumberValue(Convert.ToInt64(value, CultureInfo.InvariantCulture));
                    break;
                case ulong u:
                    writer.WriteNumberValue(u);
                    break;
                case float f when float.IsFinite(f):
                    writer.WriteNumberValue(f);
                    break;
                case double d when double.IsFinite(d):
                    writer.WriteNumberValue(d);
                    break;
                case float or double:
                    writer.WriteNullValue();
                    break;
                case decimal m:
                    writer.WriteNumberValue(m);
                    break;
                case BigInteger big:
                    writer.WriteRawValue(big.ToString(CultureInfo.InvariantCulture));
                    break;
                case DateTime time:
                    writer.WriteStringValue(time.ToString("yyyy-MM-ddTHH:mm:ss.FFFFFFF", CultureInfo.InvariantCulture));
                    break;
                case DateTimeOffset time:
                    writer.WriteStringValue(time.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ss.FFFFFFFZ", CultureInfo.InvariantCulture));
                    break;
                case DateOnly date:
                    writer.WriteStringValue(date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
                    break;
                case TimeOnly time:
                    writer.WriteStringValue(time.ToString("HH:mm:ss.FFFFFFF", CultureInfo.InvariantCulture));
                    break;
                default:
                    writer.WriteStringValue(Convert.ToString(value, CultureInfo.InvariantCulture));
                    break;
            }
        }
        return JsonDocument.Parse(buffer.WrittenMemory).RootElement;
    }

    public static JsonElement Number(long value) => JsonDocument.Parse(value.ToString(CultureInfo.InvariantCulture)).RootElement;

    public static JsonElement Number(double value) => double.IsFinite(value)
        ? JsonDocument.Parse(value.ToString("R", CultureInfo.InvariantCulture)).RootElement
        : Null;

    /// <summary>Orders values of one column: nulls first, numbers by value, text by code point, false before true.</summary>
    public static int Compare(JsonElement a, JsonElement b)
    {
        if (a.ValueKind == JsonValueKind.Null || b.ValueKind == JsonValueKind.Null)
            return (a.ValueKind == JsonValueKind.Null ? 0 : 1) - (b.ValueKind == JsonValueKind.Null ? 0 : 1);
        if (a.ValueKind == JsonValueKind.Number && b.ValueKind == JsonValueKind.Number)
            return a.TryGetInt64(out var x) && b.TryGetInt64(out var y) ? x.CompareTo(y) : a.GetDouble().CompareTo(b.GetDouble());
        if (a.ValueKind == JsonValueKind.String && b.ValueKind == JsonValueKind.String)
            return string.CompareOrdinal(a.GetString(), b.GetString());
        if (a.ValueKind is JsonValueKind.True or JsonValueKind.False && b.ValueKind is JsonValueKind.True or JsonValueKind.False)
            return a.GetBoolean().CompareTo(b.GetBoolean());
        return string.CompareOrdinal(a.GetRawText(), b.GetRawText());
    }

    /// <summary>A key that is equal for equal values (1 and 1.0 are one number).</summary>
    public static string Key(JsonElement value) => value.ValueKind == JsonValueKind.Number
        ? value.TryGetInt64(out var whole) ? whole.ToString(CultureInfo.InvariantCulture) : value.GetDouble().ToString("R", CultureInfo.InvariantCulture)
        : value.GetRawText();
}
