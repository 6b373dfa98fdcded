using Drover.Json;

namespace Drover.Core.Tests;

public sealed class DurationsTests
{
    [Theory]
    [InlineData("30s", 30)]
    [InlineData("5m", 300)]
    [InlineData("1h30m", 5400)]
    [InlineData("250ms", 0.25)]
    [InlineData("2.5", 2.5)]
    [InlineData("1d", 86400)]
    public void Parses_units_and_plain_seconds(string text, double seconds)
    {
        Assert.True(Durations.TryParse(text, out var value));
        Assert.Equal(TimeSpan.FromSeconds(seconds), value);
    }

    [Theory]
    [InlineData("")]
    [InlineData("abc")]
    [InlineData("5x")]
    [InlineData("s")]
    [InlineData("1e400")]
    public void Refuses_what_is_not_a_duration(string text) => Assert.False(Durations.TryParse(text, out _));

    [Theory]
    [InlineData(30, "30s")]
    [InlineData(5400, "1h30m")]
    [InlineData(0.25, "0.25s")]
    [InlineData(90061, "1d1h1m1s")]
    public void Formats_and_reads_back(double seconds, string expected)
    {
        var formatted = Durations.Format(TimeSpan.FromSeconds(seconds));
        Assert.Equal(expected, formatted);
        Assert.True(Durations.TryParse(formatted, out var back));
        Assert.Equal(TimeSpan.FromSeconds(seconds), back);
    }
}
