using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Unicode;
using Drover.Validation;

namespace Drover.Json;

/// <summary>
/// Checks every string of a parsed body, names and values: the parser accepts invalid UTF-8 and
/// lone surrogates (reading such a string later throws), and a NUL character, which PostgreSQL
/// cannot store in text. Refusing both here, before anything reads the body, gives one 400 naming
/// the field in every store, instead of a 500 wherever the string happens to be read.
/// </summary>
public static class JsonText
{
    private const int MaxReported = 10;

    /// <summary>Adds an error for each bad string (the first few), under its path ("[2].env.A").</summary>
    public static void Check(JsonElement root, FieldErrors errors) => new Walker(errors).Walk(root);

    /// <summary>Walks without building paths: a path is spelt out only for a string at fault.</summary>
    private sealed class Walker(FieldErrors errors)
    {
        private readonly int _before = errors.Count;
        private readonly List<(JsonProperty? Member, int Index)> _path = [];

        public void Walk(JsonElement element)
        {
            if (errors.Count - _before >= MaxReported) return;
            switch (element.ValueKind)
            {
                case JsonValueKind.Object:
                    foreach (var member in element.EnumerateObject())
                    {
                        if (NameProblem(member) is { } nameProblem)
                        {
                            errors.Add(Path(), $"has a member name that {nameProblem}");
                            continue;
                        }
                        _path.Add((member, 0));
                        Walk(member.Value);
                        _path.RemoveAt(_path.Count - 1);
                    }
                    break;
                case JsonValueKind.Array:
                    var index = 0;
                    foreach (var item in element.EnumerateArray())
                    {
                        _path.Add((null, index++));
                        Walk(item);
                        _path.RemoveAt(_path.Count - 1);
                    }
                    break;
                case JsonValueKind.String:
                    if (ValueProblem(element) is { } problem) errors.Add(Path(), problem);
                    break;
            }
        }

        private string Path()
        {
            if (_path.Count == 0) return "body";
            var text = new System.Text.StringBuilder();
            foreach (var (member, index) in _path)
            {
                if (member is { } m) text.Append(text.Length == 0 ? "" : ".").Append(m.Name);
                else text.Append('[').Append(index).Append(']');
            }
            return text.ToString();
        }
    }

    private static string? NameProblem(JsonProperty member) => Problem(JsonMarshal.GetRawUtf8PropertyName(member), member, default);

    private static string? ValueProblem(JsonElement value) => Problem(JsonMarshal.GetRawUtf8Value(value)[1..^1], null, value);

    /// <param name="raw">The string as sent, escapes and all.</param>
    /// <param name="member">The member whose name it is, or null for <paramref name="value"/>'s string (no delegate per string: a body's strings are many).</param>
    private static string? Problem(ReadOnlySpan<byte> raw, JsonProperty? member, JsonElement value)
    {
        // Unescaped (the common case): valid UTF-8 is all there is to check; the parser has already
        // refused raw control characters, NUL among them.
        if (raw.IndexOf((byte)'\\') < 0) return Utf8.IsValid(raw) ? null : InvalidText;
        string? text;
        try
        {
            // Read as .NET reads it (which throws on a lone surrogate or invalid UTF-8).
            text = member is { } m ? m.Name : value.GetString();
        }
        catch (InvalidOperationException)
        {
            return InvalidText;
        }
        return text is not null && text.Contains('\0', StringComparison.Ordinal) ? "must not contain a NUL character (\\u0000)" : null;
    }

    private const string InvalidText = "is not valid text (invalid UTF-8 or a lone surrogate)";
}
