using System.Text.Json;
using Drover.Json;

namespace Drover.Core.Tests;

public sealed class UtcTimeJsonConverterTests
{
    private sealed record Stamp(DateTimeOffset At);

    [Theory]
    [InlineData("2026-11-21T20:48:31.1234567Z", "2026-11-21T20:48:31.1234567Z")]
    [InlineData("2026-11-21T20:48:31Z", "2026-11-21T20:48:31.0000000Z")]
    [InlineData("2026-11-21T20:48:31.5Z", "2026-11-21T20:48:31.5000000Z")]
    // Another offset is read and written in UTC; no offset at all is taken as UTC (never the server's local time).
    [InlineData("2026-11-21T22:48:31+02:00", "2026-11-21T20:48:31.0000000Z")]
    [InlineData("2026-11-21T20:48:31", "2026-11-21T20:48:31.0000000Z")]
    [InlineData("2026-11-21T20:48:31\\u002E25Z", "2026-11-21T20:48:31.2500000Z")]
    public void Reads_any_offset_and_writes_UTC_with_seven_digits(string wire, string written)
    {
        var stamp = JsonSerializer.Deserialize<Stamp>($$"""{"at":"{{wire}}"}""", DroverJson.Options)!;
        Assert.Equal(TimeSpan.Zero, stamp.At.Offset);
        Assert.Equal($$"""{"at":"{{written}}"}""", JsonSerializer.Serialize(stamp, DroverJson.Options));
    }

    [Theory]
    [InlineData("\"yesterday\"")]
    [InlineData("\"2026-13-01T00:00:00Z\"")]
    [InlineData("42")]
    public void Refuses_what_is_not_a_time(string wire)
    {
        var error = Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<Stamp>($$"""{"at":{{wire}}}""", DroverJson.Options));
        Assert.Contains("RFC 3339", error.Message);
    }

    [Fact]
    public void The_extremes_of_time_fit_the_fixed_width()
    {
        Assert.Equal("\"0001-01-01T00:00:00.0000000Z\"", JsonSerializer.Serialize(DateTimeOffset.MinValue, DroverJson.Options));
        Assert.Equal("\"9999-12-31T23:59:59.9999999Z\"", JsonSerializer.Serialize(DateTimeOffset.MaxValue, DroverJson.Options));
    }
}
