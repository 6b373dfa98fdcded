using System.Text.Json;

namespace Drover.Model;

/// <summary>
/// Nullable values kept in the space of their value alone, for records made by the hundred thousand
/// (<see cref="TaskRecord"/>): a <c>long?</c> is 16 bytes and a <c>DateTimeOffset?</c> 24, where
/// the value takes 8; none of these values can be <see cref="long.MinValue"/> ticks or bytes, which
/// stands for null. Times are kept as UTC ticks: the instant, not the offset it was given with
/// (<see cref="DateTimeOffset"/>'s equality compares instants too, and Drover's times are UTC).
/// </summary>
internal static class Compact
{
    /// <summary>Null, in a field that is not set: what the fields start as.</summary>
    public const long None = long.MinValue;

    public static long Of(DateTimeOffset? time) => time is { } t ? t.UtcTicks : None;

    public static DateTimeOffset? Time(long ticks) => ticks == None ? null : new DateTimeOffset(ticks, TimeSpan.Zero);

    public static long Of(TimeSpan? duration) => duration is { } d ? d.Ticks : None;

    public static TimeSpan? Duration(long ticks) => ticks == None ? null : TimeSpan.FromTicks(ticks);

    public static long Of(long? number) => number ?? None;

    public static long? Number(long value) => value == None ? null : value;

    /// <summary>A JSON value, or <c>default</c> (<see cref="JsonValueKind.Undefined"/>, no document) for none.</summary>
    public static JsonElement Of(JsonElement? element) => element ?? default;

    public static JsonElement? Read(JsonElement element) => element.ValueKind == JsonValueKind.Undefined ? null : element;
}
