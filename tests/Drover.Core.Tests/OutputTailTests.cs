using System.Text;
using Drover.Storage;

namespace Drover.Core.Tests;

public sealed class OutputTailTests
{
    [Fact]
    public void Keeps_the_last_bytes() => Assert.Equal("6789", OutputTail.Trim("0123456789", 4));

    [Fact]
    public void Never_starts_inside_a_multibyte_character()
    {
        var kept = OutputTail.Trim("ééééé", 5); // 10 bytes; 5 would split a character
        Assert.Equal("éé", kept);
        Assert.True(Encoding.UTF8.GetByteCount(kept) <= 5);
    }

    [Fact]
    public void Short_text_is_unchanged() => Assert.Equal("abc", OutputTail.Append("a", "bc", 1024));
}
