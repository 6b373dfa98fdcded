using System.Text;

namespace Drover.Storage;

/// <summary>Keeps the last N bytes of a stream of text: what a task's stdout or stderr keeps.</summary>
public static class OutputTail
{
    public static string Append(string? kept, string chunk, int limitBytes) =>
        Trim(string.Concat(kept, chunk), limitBytes);

    public static string Trim(string text, int limitBytes)
    {
        if (text.Length <= limitBytes / 3 || Encoding.UTF8.GetByteCount(text) <= limitBytes) return text;
        var bytes = Encoding.UTF8.GetBytes(text);
        var start = bytes.Length - limitBytes;
        // Do not begin in the middle of a multi-byte character.
        while (start < bytes.Length && (bytes[start] & 0xC0) == 0x80) start++;
        return Encoding.UTF8.GetString(bytes, start, bytes.Length - start);
    }
}
