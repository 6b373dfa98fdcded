using Drover.Resilience;

namespace Drover.Staging;

/// <summary>What every transfer shares: one HTTP client (connections pooled), and the default backoff between attempts.</summary>
internal static class Transfers
{
    public static readonly HttpClient Http = new() { Timeout = Timeout.InfiniteTimeSpan };

    public static readonly BackoffPolicy Backoff = new(TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(5));
}
