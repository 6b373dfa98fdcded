using Drover.Worker.Execution;

namespace Drover.IntegrationTests;

/// <summary>A task's timeout on the worker, for timeouts longer than one .NET timer can wait.</summary>
public sealed class DeadlineTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    /// <summary>A clock moved by hand; its timers still tick in real time, but the deadline reads this clock.</summary>
    private sealed class HandClock : TimeProvider
    {
        private DateTimeOffset _now = new(2026, 12, 2, 0, 0, 0, TimeSpan.Zero);

        public override DateTimeOffset GetUtcNow() => _now;

        public void Advance(TimeSpan by) => _now += by;
    }

    [Fact]
    public async Task A_timeout_longer_than_a_timer_waits_in_steps_and_fires_only_when_it_has_passed()
    {
        var clock = new HandClock();
        using var deadline = new Deadline(TimeSpan.FromDays(300), clock, step: TimeSpan.FromMilliseconds(5));
        // Many steps go by in real time; the clock has not reached the end, so nothing fires.
        await Task.Delay(100, Token);
        Assert.False(deadline.HasPassed);
        clock.Advance(TimeSpan.FromDays(299));
        await Task.Delay(50, Token);
        Assert.False(deadline.HasPassed);
        clock.Advance(TimeSpan.FromDays(1));
        await Task.Delay(Timeout.Infinite, deadline.Token).ContinueWith(_ => { }, TaskScheduler.Default).WaitAsync(Token);
        Assert.True(deadline.HasPassed);
    }

    [Fact]
    public void A_year_long_timeout_is_taken_without_an_error_and_no_timeout_never_fires()
    {
        using var year = new Deadline(TimeSpan.FromDays(365));
        Assert.False(year.HasPassed);
        using var none = new Deadline(null);
        Assert.False(none.Token.CanBeCanceled && none.HasPassed);
    }
}
