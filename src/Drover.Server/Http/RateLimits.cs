using System.Globalization;
using System.Security.Claims;
using System.Threading.RateLimiting;
using Drover.Server.Auth;
using Drover.Server.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.DependencyInjection;

namespace Drover.Server.Http;

/// <summary>
/// Requests per token (ASP.NET Core's rate limiter, a token bucket per token name): a client that
/// floods gets <c>429</c> with <c>Retry-After</c> and problem details, and the others go on. The
/// worker protocol and task tokens are not limited (a hundred workers share one worker token).
/// </summary>
public static class RateLimits
{
    public static IServiceCollection AddDroverRateLimits(this IServiceCollection services, DroverServerOptions options) =>
        services.AddRateLimiter(limiter =>
        {
            limiter.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context =>
            {
                var user = context.User;
                if (options.RateLimit <= 0 || user.Identity?.IsAuthenticated != true || user.IsInRole(Roles.Worker) || user.IsInRole(Roles.Task))
                    return RateLimitPartition.GetNoLimiter("");
                return RateLimitPartition.GetTokenBucketLimiter(user.Identity.Name ?? "", _ => new TokenBucketRateLimiterOptions
                {
                    TokenLimit = options.RateLimit * 2,
                    TokensPerPeriod = options.RateLimit,
                    ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                    QueueLimit = 0,
                    AutoReplenishment = true,
                });
            });
            limiter.OnRejected = (rejected, cancellationToken) =>
            {
                var name = rejected.HttpContext.User.FindFirst(ClaimTypes.Name)?.Value;
                return TooManyAsync(rejected.HttpContext, TimeSpan.FromSeconds(1),
                    $"The token '{name}' made more than {options.RateLimit} requests a second (--rate-limit); try again in a moment.");
            };
        });

    /// <summary>A 429 with <c>Retry-After</c> (whole seconds, at least 1) and problem details.</summary>
    public static ValueTask TooManyAsync(HttpContext context, TimeSpan retryAfter, string detail)
    {
        context.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        return new ValueTask(Results.Problem(statusCode: StatusCodes.Status429TooManyRequests, title: "Too many requests.", detail: detail).ExecuteAsync(context));
    }
}
