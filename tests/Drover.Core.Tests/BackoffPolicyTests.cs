using Drover.Resilience;

namespace Drover.Core.Tests;

public sealed class BackoffPolicyTests
{
    [Fact]
    public void Delays_grow_are_capped_and_never_zero()
    {
        var policy = new BackoffPolicy(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(2));
        for (var attempt = 0; attempt < 50; attempt++)
        {
            var delay = policy.Delay(attempt);
            Assert.InRange(delay, TimeSpan.FromMilliseconds(50), TimeSpan.FromSeconds(2));
        }
        Assert.True(Enumerable.Range(0, 20).Max(_ => policy.Delay(10)) > TimeSpan.FromMilliseconds(400));
    }

    [Fact]
    public void A_zero_initial_delay_is_refused() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new BackoffPolicy(TimeSpan.Zero, TimeSpan.FromSeconds(1)));
}
