using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Drover.Server.Auth;

/// <summary>
/// Accepts <c>Authorization: Bearer &lt;token&gt;</c> with the admin or the worker token, a deployed
/// worker's own token, or a running task's token; without that header, the dashboard's session cookie as the admin.
/// </summary>
public sealed class BearerTokenHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, TokenFiles tokens, TaskTokens taskTokens,
    DeploymentTokens deploymentTokens, DashboardSessions sessions)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "DroverBearer";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (string.IsNullOrEmpty(header)) return Task.FromResult(FromSessionCookie());
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            return Task.FromResult(AuthenticateResult.Fail("The Authorization header must be 'Bearer <token>'."));

        var given = header["Bearer ".Length..].Trim();
        if (TaskTokens.LooksLikeOne(given))
        {
            // A running task's own token: good for its status, and only while that execution runs.
            if (taskTokens.Verify(given) is not { } execution) return Task.FromResult(AuthenticateResult.Fail("The task token is not valid."));
            var task = new ClaimsIdentity([new Claim(ClaimTypes.Role, Roles.Task), new Claim(Roles.ExecutionClaim, execution.ToString())], SchemeName);
            return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(task), SchemeName)));
        }
        if (DeploymentTokens.LooksLikeOne(given))
        {
            // A token made for one worker a provider started: the worker protocol, while that worker is not given back.
            if (deploymentTokens.Verify(given) is not { } deployment)
                return Task.FromResult(AuthenticateResult.Fail("The worker's token is not valid, or its worker was given back."));
            var worker = new ClaimsIdentity([new Claim(ClaimTypes.Role, Roles.Worker), new Claim(ClaimTypes.Name, Roles.Worker),
                new Claim(Roles.DeploymentClaim, deployment)], SchemeName);
            return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(worker), SchemeName)));
        }
        string? role = Matches(given, tokens.AdminToken) ? Roles.Admin : Matches(given, tokens.WorkerToken) ? Roles.Worker : null;
        if (role is null) return Task.FromResult(AuthenticateResult.Fail("The token is not valid."));
        return Task.FromResult(Success(role));
    }

    private AuthenticateResult FromSessionCookie()
    {
        if (!Request.Cookies.TryGetValue(DashboardSessions.CookieName, out var session)) return AuthenticateResult.NoResult();
        if (!sessions.IsValid(session)) return AuthenticateResult.Fail("The session has expired or is not valid: log in again.");
        // The cookie is SameSite=Strict; a request that says it comes from another site is refused all the same.
        if (Request.Headers.Origin.ToString() is { Length: > 0 } origin
            && !(Uri.TryCreate(origin, UriKind.Absolute, out var from) && string.Equals(from.Authority, Request.Host.Value, StringComparison.OrdinalIgnoreCase)))
            return AuthenticateResult.Fail("A session cookie is accepted only from the dashboard's own origin.");
        return Success(Roles.Admin);
    }

    private static AuthenticateResult Success(string role)
    {
        var identity = new ClaimsIdentity([new Claim(ClaimTypes.Role, role), new Claim(ClaimTypes.Name, role)], SchemeName);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties) =>
        WriteProblem(StatusCodes.Status401Unauthorized, "Unauthorized",
            "Send 'Authorization: Bearer <token>'; the admin token is in <data>/admin.token.");

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        WriteProblem(StatusCodes.Status403Forbidden, "Forbidden",
            "The worker token is good only for the worker protocol; use the admin token.");

    private Task WriteProblem(int status, string title, string detail)
    {
        if (status == StatusCodes.Status401Unauthorized) Response.Headers.WWWAuthenticate = "Bearer";
        return Results.Problem(statusCode: status, title: title, detail: detail).ExecuteAsync(Context);
    }

    private static bool Matches(string given, string expected) =>
        CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), Encoding.UTF8.GetBytes(expected));
}
