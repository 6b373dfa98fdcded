namespace Drover.Dispatch;

/// <summary>
/// <c>--prefetch auto</c>: a worker keeps in hand, beyond the tasks it runs, as many as it expects to
/// start within <see cref="Horizon"/>, from a moving average of its recent run times:
/// <c>floor(concurrency × horizon / average run time)</c>, at most <see cref="Max"/>. A stream of tiny
/// tasks is leased a thousand at a time; tasks that take longer than the horizon are not held at all,
/// so one submitted later with a higher priority still goes first. Before any task has run it holds none.
/// </summary>
public sealed class AdaptivePrefetch
{
    /// <summary>How far ahead a worker leases: a later, more urgent task waits at most about this long behind held ones.</summary>
    public static readonly TimeSpan Horizon = TimeSpan.FromMilliseconds(50);

    public const int Max = 1000;

    /// <summary>The weight of the latest run time in the moving average: about the last ten count.</summary>
    private const double Weight = 0.2;

    private double? _averageSeconds;

    /// <summary>The moving average of run times, once one has been seen.</summary>
    public TimeSpan? Average => _averageSeconds is { } a ? TimeSpan.FromSeconds(a) : null;

    public void Observe(TimeSpan runTime)
    {
        // A run time of zero (a clock's tick) would make the estimate infinite.
        var seconds = Math.Max(runTime.TotalSeconds, 1e-6);
        _averageSeconds = _averageSeconds is { } average ? average + Weight * (seconds - average) : seconds;
    }

    /// <summary>How many tasks to hold beyond the <paramref name="concurrency"/> running.</summary>
    public int For(int concurrency) => _averageSeconds is { } average
        // The small addend keeps a quotient that floating point leaves a hair under a whole number from losing one.
        ? (int)Math.Min(Max, Math.Floor(concurrency * Horizon.TotalSeconds / average + 1e-6))
        : 0;
}
