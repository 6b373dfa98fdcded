using Drover.Storage;

namespace Drover.Core.Tests;

public sealed class StoreOptionsTests
{
    [Fact]
    public void The_defaults_are_valid() => new StoreOptions().Validate();

    [Theory]
    [InlineData(0)]
    [InlineData(-5)]
    public void A_purge_batch_below_one_is_refused_naming_it(int batch)
    {
        var error = Assert.Throws<ArgumentException>(() => new StoreOptions { PurgeBatch = batch }.Validate());
        Assert.Contains("PurgeBatch", error.Message);
    }

    [Fact]
    public void The_live_statuses_clause_names_every_state_not_ended()
    {
        Assert.Equal("status IN ('pending', 'queued', 'assigned', 'running', 'paused')", Query.SqlFilter.Live);
    }
}
