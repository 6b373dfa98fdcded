using System.Collections.Concurrent;
using System.Net;
using Drover.Server.Hosting;

namespace Drover.Server.Auth;

/// <summary>
/// Failed authentications per client address, in one-minute windows: past the limit, until its
/// window ends, the address's failures are answered <c>429</c> and a named token the server has not
/// just checked is not looked up in the store, so guessing is slow and cheap to refuse. A valid
/// token still works from that address: workers sharing an address with a guesser are not locked out.
/// Memory is bounded: past <see cref="MaxAddresses"/> addresses the counts start over.
/// </summary>
public sealed class AuthFailures(DroverServerOptions options, TimeProvider time)
{
    public const int MaxAddresses = 10_000;
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    private readonly ConcurrentDictionary<IPAddress, (int Count, DateTimeOffset Since)> _failures = new();

    public void Failed(IPAddress? address)
    {
        if (address is null || options.AuthFailureLimit <= 0) return;
        if (_failures.Count >= MaxAddresses) _failures.Clear();
        var now = time.GetUtcNow();
        _failures.AddOrUpdate(address, _ => (1, now), (_, seen) => now - seen.Since >= Window ? (1, now) : (seen.Count + 1, seen.Since));
    }

    /// <returns>How long the address must wait, or null when it may try.</returns>
    public TimeSpan? Blocked(IPAddress? address)
    {
        if (address is null || options.AuthFailureLimit <= 0 || !_failures.TryGetValue(address, out var seen)) return null;
        var left = Window - (time.GetUtcNow() - seen.Since);
        return seen.Count >= options.AuthFailureLimit && left > TimeSpan.Zero ? left : null;
    }

}
