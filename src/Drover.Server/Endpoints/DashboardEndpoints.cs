using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Drover.Server.Auth;
using Drover.Server.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Drover.Server.Endpoints;

/// <summary>
/// The dashboard: its page and assets at <c>/</c> and <c>/ui/*</c> (embedded in this assembly, no
/// build step, nothing fetched from elsewhere), and its login: <c>POST /api/session</c> with the
/// admin token sets an HTTP-only, SameSite=Strict session cookie that the API and the event
/// WebSocket accept; <c>DELETE /api/session</c> logs out.
/// </summary>
public static class DashboardEndpoints
{
    private static readonly Dictionary<string, Asset> Assets = LoadAssets();

    public static void MapDashboardEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/", (HttpContext context) => Serve(context, "index.html")).AllowAnonymous().ExcludeFromDescription();
        app.MapGet("/ui/{name}", (string name, HttpContext context) => Serve(context, name)).AllowAnonymous().ExcludeFromDescription();
        var session = app.MapGroup("/api/session").WithTags("dashboard");
        session.MapPost("/", LogInAsync).AllowAnonymous()
            .WithSummary("Log in to the dashboard: {\"token\": the admin token or a named token} sets an HTTP-only session cookie");
        session.MapGet("/", (HttpContext context) => Results.Ok(Caller.Of(context.User))).RequireAuthorization(Roles.ReadPolicy)
            .Produces<Caller>().WithSummary("Who is logged in: the token's name, role, groups and batches (what the dashboard may show)");
        session.MapDelete("/", LogOut).AllowAnonymous().WithSummary("Log out of the dashboard: the session ends on the server too");
    }

    private static async Task<IResult> LogInAsync(HttpContext context, TokenFiles tokens, NamedTokens named, DashboardSessions sessions, CancellationToken cancellationToken)
    {
        var (body, problem) = await JsonBody.ReadAsync(context.Request, cancellationToken);
        if (problem is not null) return problem;
        if (body.ValueKind != JsonValueKind.Object || !body.TryGetProperty("token", out var token) || token.ValueKind != JsonValueKind.String
            || token.GetString() is not { Length: > 0 } given)
            return Problems.Invalid("token", "is required: the admin token (in <data>/admin.token) or a named token");
        string name;
        if (NamedTokens.LooksLikeOne(given))
        {
            var (found, refusal) = await named.VerifyAsync(given, cancellationToken);
            if (found is null) return Results.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Unauthorized", detail: $"token: {refusal}");
            if (found.Role == Model.TokenRole.Worker)
                return Results.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Forbidden", detail: "token: a worker token is for the worker protocol, not the dashboard.");
            name = found.Name;
        }
        else if (CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), Encoding.UTF8.GetBytes(tokens.AdminToken)))
        {
            name = Roles.Admin;
        }
        else
        {
            return Results.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Unauthorized", detail: "token: this is neither the admin token nor a named token.");
        }
        var (value, expires) = sessions.Create(name);
        context.Response.Cookies.Append(DashboardSessions.CookieName, value, new CookieOptions
        {
            HttpOnly = true,
            SameSite = SameSiteMode.Strict,
            Secure = context.Request.IsHttps,
            Path = "/",
            Expires = expires,
        });
        return Results.NoContent();
    }

    private static IResult LogOut(HttpContext context, DashboardSessions sessions)
    {
        // Not only the browser's copy: the session itself ends, so a copied cookie stops working too.
        sessions.Revoke(context.Request.Cookies[DashboardSessions.CookieName]);
        context.Response.Cookies.Delete(DashboardSessions.CookieName, new CookieOptions { Path = "/" });
        return Results.NoContent();
    }

    private static IResult Serve(HttpContext context, string name)
    {
        if (!Assets.TryGetValue(name, out var asset)) return Results.NotFound();
        var headers = context.Response.Headers;
        headers.ETag = asset.ETag;
        headers.CacheControl = "no-cache";
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "no-referrer";
        var host = context.Request.Host.Value;
        headers.ContentSecurityPolicy = $"default-src 'self'; connect-src 'self' ws://{host} wss://{host}; img-src 'self' data:; frame-ancestors 'none'";
        if (context.Request.Headers.IfNoneMatch == asset.ETag) return Results.StatusCode(StatusCodes.Status304NotModified);
        return Results.Bytes(asset.Bytes, asset.ContentType);
    }

    private static Dictionary<string, Asset> LoadAssets()
    {
        var assembly = Assembly.GetExecutingAssembly();
        var assets = new Dictionary<string, Asset>(StringComparer.Ordinal);
        const string prefix = "dashboard/";
        foreach (var resource in assembly.GetManifestResourceNames().Where(r => r.StartsWith(prefix, StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            var bytes = copy.ToArray();
            var name = resource[prefix.Length..];
            var type = Path.GetExtension(name) switch
            {
                ".html" => "text/html; charset=utf-8",
                ".js" => "text/javascript; charset=utf-8",
                ".css" => "text/css; charset=utf-8",
                ".svg" => "image/svg+xml",
                _ => "application/octet-stream",
            };
            assets[name] = new Asset(bytes, type, $"\"{Convert.ToHexString(SHA256.HashData(bytes))[..16]}\"");
        }
        return assets;
    }

    private sealed record Asset(byte[] Bytes, string ContentType, string ETag);
}
