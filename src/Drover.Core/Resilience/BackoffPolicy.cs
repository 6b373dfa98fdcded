namespace Drover.Resilience;

/// <summary>
/// Capped exponential backoff with full jitter, shared by the worker and the client for retries and
/// reconnects. Never zero, so a retry loop cannot spin.
/// </summary>
public sealed class BackoffPolicy(TimeSpan initial, TimeSpan max)
{
    public static BackoffPolicy Default { get; } = new(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(5));

    public TimeSpan Initial { get; } = initial > TimeSpan.Zero ? initial : throw new ArgumentOutOfRangeException(nameof(initial), "must be positive");
    public TimeSpan Max { get; } = max >= initial ? max : throw new ArgumentOutOfRangeException(nameof(max), "must be at least initial");

    /// <param name="attempt">0 for the first retry.</param>
    public TimeSpan Delay(int attempt)
    {
        var ceiling = Math.Min(Max.TotalMilliseconds, Initial.TotalMilliseconds * Math.Pow(2, Math.Min(attempt, 30)));
        var floor = Initial.TotalMilliseconds / 2;
        return TimeSpan.FromMilliseconds(floor + Random.Shared.NextDouble() * (ceiling - floor));
    }
}
