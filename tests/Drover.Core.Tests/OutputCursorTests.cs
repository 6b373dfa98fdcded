using Drover.Client;

namespace Drover.Core.Tests;

public sealed class OutputCursorTests
{
    [Fact]
    public void A_chunk_overlapping_the_shown_tail_shows_only_its_new_part()
    {
        var cursor = new OutputCursor();
        cursor.Reset(6); // "hello\n" shown from the kept tail
        Assert.Equal("world\n", cursor.Next("lo\nworld\n", 12));
        Assert.Null(cursor.Next("world\n", 12)); // the same text again
        Assert.Equal("again\n", cursor.Next("again\n", 18));
    }

    [Fact]
    public void Multi_byte_characters_are_never_cut()
    {
        var cursor = new OutputCursor();
        cursor.Reset(3); // "aé" is 3 bytes
        Assert.Equal("ü!", cursor.Next("éü!", 6));
        cursor.Reset(4); // in the middle of 'ü' (bytes 4-5): skip to the next whole character
        Assert.Equal("!", cursor.Next("ü!", 6));
    }

    [Fact]
    public void Without_a_byte_count_everything_is_shown()
    {
        var cursor = new OutputCursor();
        cursor.Reset(100);
        Assert.Equal("text", cursor.Next("text", null));
        Assert.Null(cursor.Next("", 200));
    }
}
