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
        // Ahead of the clock only after more than 4,096 ids in one millisecond (another test makes 100,000 at once).
        Assert.InRange(millis, before, after + 1000);
    }

    [Fact]
    public void New_ids_are_distinct_and_ordered_by_millisecond()
    {
        var ids = Enumerable.Range(0, 100_000).Select(_ => Ids.New()).ToList();
        Assert.Equal(ids.Count, ids.Distinct().Count());
        var millis = ids.Select(id => Convert.ToInt64(id.ToString("N")[..12], 16)).ToList();
        Assert.Equal(millis.Order(), millis);
    }

    [Fact]
    public void The_ids_a_thread_makes_are_strictly_increasing_even_within_one_millisecond_and_across_threads_distinct()
    {
        // As text (and as bytes, which is how the stores order them): creation order, so "-id" is "newest first".
        var perThread = new List<string>[4];
        Parallel.For(0, perThread.Length, t => perThread[t] = [.. Enumerable.Range(0, 50_000).Select(_ => Ids.New().ToString())]);
        foreach (var ids in perThread)
            for (var i = 1; i < ids.Count; i++) Assert.True(string.CompareOrdinal(ids[i - 1], ids[i]) < 0, $"{ids[i - 1]} then {ids[i]}");
        Assert.Equal(200_000, perThread.SelectMany(ids => ids).Distinct().Count());
        Assert.All(perThread.SelectMany(ids => ids).Take(1000), id => Assert.Equal(7, Guid.Parse(id).Version));
    }
}
