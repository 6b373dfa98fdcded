using Drover.Json;

namespace Drover.Core.Tests;

public sealed class StoredJsonTests
{
    [Theory]
    [InlineData("42")]
    [InlineData("\"é and \\u0000\"")]
    [InlineData("{\"a\":[1,2,{\"b\":null}],\"c\":\"d\"}")]
    [InlineData("null")]
    public void Reads_back_the_value_written(string text)
    {
        var element = StoredJson.Parse(text);
        Assert.NotNull(element);
        Assert.Equal(text, element.Value.GetRawText());
    }

    [Fact]
    public void No_text_is_no_value() => Assert.Null(StoredJson.Parse(null));

    [Fact]
    public void Text_that_is_not_one_JSON_value_is_refused()
    {
        Assert.ThrowsAny<System.Text.Json.JsonException>(() => StoredJson.Parse("{\"a\":"));
    }
}
