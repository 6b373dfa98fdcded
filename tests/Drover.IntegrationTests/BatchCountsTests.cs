using Drover.Model;
using Drover.Validation;
using Drover.Server.Overview;
using Drover.Storage;
using Drover.Storage.Memory;

namespace Drover.IntegrationTests;

/// <summary>The Overview's batch counts: reused while younger than twenty times what counting cost.</summary>
public sealed class BatchCountsTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    /// <summary>A clock whose every reading costs a millisecond, so a count "takes" 1 ms.</summary>
    private sealed class Clock : TimeProvider
    {
        private long _ticks;
        public override long TimestampFrequency => TimeSpan.TicksPerSecond;
        public override long GetTimestamp() => _ticks += TimeSpan.TicksPerMillisecond;
        public void Advance(TimeSpan by) => _ticks += by.Ticks;
    }

    private static TaskDefinition Queued(string batch) => new() { Id = Ids.New(), Batch = batch, Command = ["true"] };

    [Fact]
    public async Task A_count_is_reused_while_young_and_read_again_once_older_than_twenty_times_its_cost()
    {
        var clock = new Clock();
        var store = new MemoryTaskStore(new StoreOptions(), new StoreSignals(), TimeProvider.System);
        var counts = new BatchCounts(store, clock);
        await store.CreateAsync([Queued("b")], Token);
        Assert.Equal(1, Assert.Single(await counts.GetAsync(Token)).Counts["queued"]);

        await store.CreateAsync([Queued("b")], Token);
        // A few milliseconds later (the count cost one): the same count.
        Assert.Equal(1, Assert.Single(await counts.GetAsync(Token)).Counts["queued"]);
        clock.Advance(TimeSpan.FromMilliseconds(25));
        Assert.Equal(2, Assert.Single(await counts.GetAsync(Token)).Counts["queued"]);
    }
}
