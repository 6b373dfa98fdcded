using System.Globalization;
using System.Text.Json;
using Drover.Json;

namespace Drover.Sqlite;

/// <summary>How values are kept in SQLite columns: times as fixed-width UTC text (so they sort), JSON as text.</summary>
internal static class SqliteValues
{
    // The round-trip format of a UTC DateTime ("2026-11-21T20:48:31.1234567Z"): fixed width, so it
    // sorts as time does, and .NET formats and parses it on a fast path.
    public static string? TimeText(DateTimeOffset? value) =>
        value?.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);

    public static object Time(DateTimeOffset? value) => (object?)TimeText(value) ?? DBNull.Value;

    // No styles: .NET parses "O" on its fast path only without any (the text's Z makes it UTC).
    public static DateTimeOffset ParseTime(string text) =>
        DateTimeOffset.ParseExact(text, "O", CultureInfo.InvariantCulture, DateTimeStyles.None);

    /// <summary>
    /// Ids as a JSON array of their "D" texts, the one parameter of a <c>json_each</c> (ids are never
    /// spliced into SQL text), written straight to UTF-8: for a wait on 150,000 tasks, a string of
    /// each id, a list of them and the array's text made about a tenth of its cost.
    /// </summary>
    public static Utf8Text IdsJson(IReadOnlyCollection<Guid> ids)
    {
        const int Quoted = 38; // "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"
        var bytes = new byte[2 + ids.Count * (Quoted + 1) - (ids.Count > 0 ? 1 : 0)];
        var at = 0;
        bytes[at++] = (byte)'[';
        foreach (var id in ids)
        {
            if (at > 1) bytes[at++] = (byte)',';
            bytes[at++] = (byte)'"';
            id.TryFormat(bytes.AsSpan(at), out var written, "D");
            at += written;
            bytes[at++] = (byte)'"';
        }
        bytes[at] = (byte)']';
        return new Utf8Text(bytes);
    }

    public static object TextOrNull(string? value) => value is null ? DBNull.Value : value;

    public static object Number(long? value) => value is { } v ? v : DBNull.Value;

    public static string? JsonText<T>(T? value) => value is null ? null : JsonSerializer.Serialize(value, DroverJson.Options);

    public static object JsonOrNull<T>(T? value) => (object?)JsonText(value) ?? DBNull.Value;

    public static T? FromJson<T>(string? text) => text is null ? default : JsonSerializer.Deserialize<T>(text, DroverJson.Options);

    public static JsonElement? JsonElementFrom(string? text) => StoredJson.Parse(text);
}

/// <summary>A text parameter already encoded as UTF-8 (bound as TEXT, not as a BLOB).</summary>
internal readonly record struct Utf8Text(byte[] Bytes);
