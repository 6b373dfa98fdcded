using System.Text;
using System.Text.Json;

namespace Drover.Json;

/// <summary>A JSON value a store keeps as text (a task's args and result), read back as an element.</summary>
public static class StoredJson
{
    /// <summary>
    /// One document in plain arrays (<see cref="JsonElement.ParseValue"/>): <c>JsonDocument.Parse</c> then
    /// <c>Clone</c> built two, the first in buffers rented from the shared pool and never given back
    /// (the document was not disposed), for each value of each task read.
    /// </summary>
    public static JsonElement? Parse(string? text)
    {
        if (text is null) return null;
        var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(text));
        return JsonElement.ParseValue(ref reader);
    }
}
