using System.Collections.Concurrent;
using System.Net;
using Drover.Server.Hosting;
using Drover.Server.Http;
using Microsoft.AspNetCore.Builder;

namespace Drover.Server.Auth;

/// <summary>
/// Failed authentications per client address, in one-minute windows: past the limit an address is
/// answered <c>429</c> without its token being looked at until its window ends, so guessing tokens
/// is slow. Memory is bounded: past <see cref="MaxAddresses"/> addresses the counts start over.
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

    /// <summary>Answers a blocked address before authentication.</summary>
    public static IApplicationBuilder UseAuthFailureLimit(IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        var failures = context.RequestServices.GetService(typeof(AuthFailures)) as AuthFailures;
        if (context.Request.Headers.Authorization.Count > 0 && failures?.Blocked(context.Connection.RemoteIpAddress) is { } wait)
        {
            await RateLimits.TooManyAsync(context, wait,
                $"Too many failed authentications from {context.Connection.RemoteIpAddress} in a minute; try again in {Math.Ceiling(wait.TotalSeconds)} s.");
            return;
        }
        await next(context);
    });
}
