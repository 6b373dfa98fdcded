using System.Collections.Frozen;
using System.Text.Json;

namespace Drover.Json;

/// <summary>Enum values by their wire names (snake_case), for storage columns and query strings.</summary>
public static class Enums
{
    public static string Name<T>(T value) where T : struct, Enum => Names<T>.ByValue[value];

    public static T Parse<T>(string name) where T : struct, Enum =>
        TryParse<T>(name, out var value) ? value : throw new FormatException($"'{name}' is not a {typeof(T).Name}");

    public static bool TryParse<T>(string? name, out T value) where T : struct, Enum
    {
        value = default;
        return name is not null && Names<T>.ByName.TryGetValue(name, out value);
    }

    /// <summary>From the name's characters, without a string (rows and JSON read by hand).</summary>
    public static bool TryParse<T>(ReadOnlySpan<char> name, out T value) where T : struct, Enum =>
        Names<T>.BySpan.TryGetValue(name, out value);

    public static IEnumerable<string> AllNames<T>() where T : struct, Enum => Names<T>.ByValue.Values;

    private static class Names<T> where T : struct, Enum
    {
        public static readonly FrozenDictionary<T, string> ByValue =
            Enum.GetValues<T>().ToFrozenDictionary(v => v, v => JsonNamingPolicy.SnakeCaseLower.ConvertName(v.ToString()));

        public static readonly FrozenDictionary<string, T> ByName =
            ByValue.ToFrozenDictionary(e => e.Value, e => e.Key, StringComparer.Ordinal);

        public static readonly FrozenDictionary<string, T>.AlternateLookup<ReadOnlySpan<char>> BySpan =
            ByName.GetAlternateLookup<ReadOnlySpan<char>>();
    }
}
