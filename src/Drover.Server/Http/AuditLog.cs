using System.Security.Claims;
using Drover.Model;
using Drover.Server.Auth;
using Drover.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Drover.Server.Http;

/// <summary>Marks an endpoint whose calls go into the audit log, under this action name.</summary>
public sealed record Audited(string Action);

/// <summary>
/// The audit log's writer: every call of an <see cref="Audited"/> endpoint by an authenticated caller
/// is appended once answered, with who (the token's name and role), what, the route's ids and names,
/// the body's first 1,000 characters, the address and the answer's status, refusals included.
/// </summary>
public static class AuditLog
{
    public const int MaxDetail = 1000;

    public static TBuilder Audit<TBuilder>(this TBuilder builder, string action) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new Audited(action));

    public static IApplicationBuilder UseAuditLog(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        if (context.GetEndpoint()?.Metadata.GetMetadata<Audited>() is not { } audited)
        {
            await next(context);
            return;
        }
        // Kept so that it can be read again once the endpoint has read it.
        context.Request.EnableBuffering(bufferThreshold: 64 * 1024);
        try
        {
            await next(context);
        }
        finally
        {
            if (context.User.Identity?.IsAuthenticated == true) await AppendAsync(context, audited.Action);
        }
    });

    private static async Task AppendAsync(HttpContext context, string action)
    {
        var services = context.RequestServices;
        try
        {
            var entry = new AuditRecord
            {
                Time = services.GetRequiredService<TimeProvider>().GetUtcNow(),
                Token = context.User.Identity?.Name ?? "?",
                Role = context.User.FindFirst(ClaimTypes.Role)?.Value ?? "?",
                Action = action,
                Target = context.Request.RouteValues.Count == 0 ? null : string.Join("/", context.Request.RouteValues.Values),
                Detail = await DetailAsync(context.Request),
                Address = context.Connection.RemoteIpAddress?.ToString(),
                Status = context.Response.StatusCode,
            };
            await services.GetRequiredService<IAccessStore>().AppendAuditAsync(entry, CancellationToken.None);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            services.GetRequiredService<ILoggerFactory>().CreateLogger("Drover.Server.Audit")
                .LogError(ex, "Could not append {Action} by {Token} to the audit log", action, context.User.Identity?.Name);
        }
    }

    private static async Task<string?> DetailAsync(HttpRequest request)
    {
        if (!request.Body.CanSeek || request.Body.Length == 0) return null;
        request.Body.Position = 0;
        var buffer = new char[MaxDetail];
        using var reader = new StreamReader(request.Body, leaveOpen: true);
        var read = await reader.ReadBlockAsync(buffer, CancellationToken.None);
        return read == 0 ? null : new string(buffer, 0, read);
    }
}
