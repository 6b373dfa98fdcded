using Drover.Text;

namespace Drover.Core.Tests;

public sealed class ShellWordsTests
{
    [Theory]
    [InlineData("echo hello world", new[] { "echo", "hello", "world" })]
    [InlineData("echo 'a b' \"c d\"", new[] { "echo", "a b", "c d" })]
    [InlineData("printf '%s\\n' x", new[] { "printf", "%s\\n", "x" })]
    [InlineData("a\\ b \"q\\\"uote\" it''s", new[] { "a b", "q\"uote", "its" })]
    [InlineData("  spaced   out  ", new[] { "spaced", "out" })]
    [InlineData("empty '' arg", new[] { "empty", "", "arg" })]
    public void Splits_by_posix_quoting(string text, string[] expected)
    {
        Assert.Equal(expected, ShellWords.Split(text, out var error));
        Assert.Null(error);
    }

    [Theory]
    [InlineData("echo 'open")]
    [InlineData("echo \"open")]
    public void Reports_unterminated_quotes(string text)
    {
        Assert.Null(ShellWords.Split(text, out var error));
        Assert.Contains("unterminated", error);
    }

    [Theory]
    [InlineData("plain")]
    [InlineData("with space")]
    [InlineData("it's")]
    [InlineData("")]
    [InlineData("$HOME;rm")]
    public void Quote_reads_back_unchanged(string word) =>
        Assert.Equal([word], ShellWords.Split(ShellWords.Quote(word), out _));
}
