using System.Text;

namespace Drover.Text;

/// <summary>Splits a command line into words by POSIX shell quoting rules, without running a shell.</summary>
public static class ShellWords
{
    /// <returns>The words, or null with <paramref name="error"/> set when a quote is left open.</returns>
    public static IReadOnlyList<string>? Split(string text, out string? error)
    {
        error = null;
        var words = new List<string>();
        var current = new StringBuilder();
        var inWord = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            switch (c)
            {
                case ' ' or '\t' or '\n' or '\r':
                    if (inWord) words.Add(current.ToString());
                    current.Clear();
                    inWord = false;
                    break;
                case '\'':
                    var close = text.IndexOf('\'', i + 1);
                    if (close < 0)
                    {
                        error = "has an unterminated single quote";
                        return null;
                    }
                    current.Append(text, i + 1, close - i - 1);
                    i = close;
                    inWord = true;
                    break;
                case '"':
                    i++;
                    while (i < text.Length && text[i] != '"')
                    {
                        // Inside double quotes a backslash escapes only $ ` " \ and newline.
                        if (text[i] == '\\' && i + 1 < text.Length && text[i + 1] is '$' or '`' or '"' or '\\' or '\n')
                            i++;
                        current.Append(text[i]);
                        i++;
                    }
                    if (i >= text.Length)
                    {
                        error = "has an unterminated double quote";
                        return null;
                    }
                    inWord = true;
                    break;
                case '\\':
                    if (i + 1 < text.Length)
                    {
                        i++;
                        if (text[i] != '\n') current.Append(text[i]);
                    }
                    inWord = true;
                    break;
                default:
                    current.Append(c);
                    inWord = true;
                    break;
            }
        }
        if (inWord) words.Add(current.ToString());
        return words;
    }

    /// <summary>Quotes one word so that <see cref="Split"/> (and sh) reads it back unchanged.</summary>
    public static string Quote(string word)
    {
        if (word.Length > 0 && word.All(c => char.IsAsciiLetterOrDigit(c) || "-_./=:,+@%".Contains(c)))
            return word;
        return "'" + word.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
    }
}
