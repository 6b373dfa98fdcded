using Drover.Dispatch;

namespace Drover.Core.Tests;

public sealed class AdaptivePrefetchTests
{
    [Fact]
    public void Nothing_is_held_before_a_task_has_run()
    {
        Assert.Equal(0, new AdaptivePrefetch().For(concurrency: 4));
    }

    [Fact]
    public void Tiny_tasks_are_held_in_large_numbers_and_capped()
    {
        var prefetch = new AdaptivePrefetch();
        prefetch.Observe(TimeSpan.FromMilliseconds(1));
        Assert.Equal(200, prefetch.For(concurrency: 4)); // 4 × 50 ms / 1 ms
        for (var i = 0; i < 20; i++) prefetch.Observe(TimeSpan.Zero);
        Assert.Equal(AdaptivePrefetch.Max, prefetch.For(concurrency: 4));
    }

    [Fact]
    public void Tasks_longer_than_the_horizon_are_not_held()
    {
        var prefetch = new AdaptivePrefetch();
        prefetch.Observe(TimeSpan.FromSeconds(1));
        Assert.Equal(0, prefetch.For(concurrency: 4));
        Assert.Equal(0, prefetch.For(concurrency: 19)); // 19 × 50 ms < 1 s
        Assert.Equal(1, prefetch.For(concurrency: 20));
    }

    [Fact]
    public void The_estimate_follows_the_recent_run_times()
    {
        var prefetch = new AdaptivePrefetch();
        prefetch.Observe(TimeSpan.FromMilliseconds(1));
        for (var i = 0; i < 30; i++) prefetch.Observe(TimeSpan.FromSeconds(2));
        Assert.Equal(0, prefetch.For(concurrency: 8));
        for (var i = 0; i < 150; i++) prefetch.Observe(TimeSpan.FromMilliseconds(10));
        Assert.Equal(20, prefetch.For(concurrency: 4)); // 4 × 50 ms / 10 ms
        Assert.InRange(prefetch.Average!.Value.TotalMilliseconds, 9.99, 10.01);
    }
}
