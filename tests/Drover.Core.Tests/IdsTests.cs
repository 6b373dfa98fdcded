using Drover.Validation;

namespace Drover.Core.Tests;

public sealed class IdsTests
{
    [Fact]
    public void New_ids_are_version_7_with_the_rfc_variant_and_the_current_time()
    {
        var before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var id = Ids.New();
        var after = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

        Assert.Equal(7, id.Version);
        Assert.Equal(0b10, id.Variant >> 2);
        var text = id.ToString("N");
        var millis = Convert.ToInt64(text[..12], 16);
        Assert.InRange(millis, before, after);
    }

    [Fact]
    public void New_ids_are_distinct_and_ordered_by_millisecond()
    {
        var ids = Enumerable.Range(0, 100_000).Select(_ => Ids.New()).ToList();
        Assert.Equal(ids.Count, ids.Distinct().Count());
        var millis = ids.Select(id => Convert.ToInt64(id.ToString("N")[..12], 16)).ToList();
        Assert.Equal(millis.Order(), millis);
    }
}
