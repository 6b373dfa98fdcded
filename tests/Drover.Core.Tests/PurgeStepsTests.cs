using Drover.Storage;

namespace Drover.Core.Tests;

public sealed class PurgeStepsTests
{
    [Fact]
    public void Steps_grow_to_the_target_time_and_no_further_than_the_batch()
    {
        var steps = new PurgeSteps(maxBatch: 1000);
        Assert.Equal(200, steps.Size);
        steps.Took(200, TimeSpan.FromMilliseconds(0.2)); // fast rows: may double, no more
        Assert.Equal(400, steps.Size);
        steps.Took(400, TimeSpan.FromMilliseconds(0.4));
        Assert.Equal(800, steps.Size);
        steps.Took(800, TimeSpan.FromMilliseconds(0.8));
        Assert.Equal(1000, steps.Size); // capped by PurgeBatch
        Assert.False(steps.Done);
    }

    [Fact]
    public void Slow_steps_shrink_to_fit_the_target_but_not_below_fifty()
    {
        var steps = new PurgeSteps(maxBatch: 1000);
        steps.Took(200, TimeSpan.FromMilliseconds(12)); // 60 µs a row: 3 ms is 50 rows
        Assert.Equal(50, steps.Size);
        steps.Took(50, TimeSpan.FromMilliseconds(30));
        Assert.Equal(50, steps.Size);
    }

    [Fact]
    public void A_step_that_finds_fewer_than_it_could_delete_is_the_last()
    {
        var steps = new PurgeSteps(maxBatch: 2);
        Assert.Equal(2, steps.Size);
        steps.Took(2, TimeSpan.FromMilliseconds(100));
        Assert.Equal(2, steps.Size); // a batch below fifty stays whole
        steps.Took(1, TimeSpan.Zero);
        Assert.True(steps.Done);
    }
}
