using System.Text;

namespace Drover.Client;

/// <summary>
/// How much of one output stream a follower has shown, in bytes, so that text arriving in chunks
/// after the kept tail was read is shown once: a chunk carries its stream's byte total after it.
/// </summary>
public sealed class OutputCursor
{
    public long Shown { get; private set; }

    public void Reset(long shown) => Shown = shown;

    /// <summary>The part of a chunk not shown yet; null when all of it was.</summary>
    public string? Next(string? text, long? totalAfter)
    {
        if (string.IsNullOrEmpty(text)) return null;
        if (totalAfter is not { } end) return text; // the server did not say: show it all
        if (end <= Shown) return null;
        var bytes = Encoding.UTF8.GetBytes(text);
        var skip = (int)Math.Clamp(Shown - (end - bytes.Length), 0, bytes.Length);
        // Never begin in the middle of a character.
        while (skip < bytes.Length && (bytes[skip] & 0xC0) == 0x80) skip++;
        Shown = end;
        return skip == bytes.Length ? null : Encoding.UTF8.GetString(bytes, skip, bytes.Length - skip);
    }
}
