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
                        if (Problem(JsonMarshal.GetRawUtf8PropertyName(member), () => member.Name) is { } nameProblem)
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
                    if (Problem(JsonMarshal.GetRawUtf8Value(element)[1..^1], element.GetString) is { } problem) errors.Add(Path(), problem);
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

    /// <param name="raw">The string as sent, escapes and all.</param>
    /// <param name="decode">Reads it as .NET would (throws on a lone surrogate or invalid UTF-8).</param>
    private static string? Problem(ReadOnlySpan<byte> raw, Func<string?> decode)
    {
        // Unescaped (the common case): valid UTF-8 is all there is to check; the parser has already
        // refused raw control characters, NUL among them.
        if (raw.IndexOf((byte)'\\') < 0) return Utf8.IsValid(raw) ? null : InvalidText;
        string? text;
        try
        {
            text = decode();
        }
        catch (InvalidOperationException)
        {
            return InvalidText;
        }
        return text is not null && text.Contains('\0', StringComparison.Ordinal) ? "must not contain a NUL character (\\u0000)" : null;
    }

    private const string InvalidText = "is not valid text (invalid UTF-8 or a lone surrogate)";
}
