using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Drover.Model;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Drover.Server.Auth;

/// <summary>
/// Accepts <c>Authorization: Bearer &lt;token&gt;</c> with the admin or the worker token, a named
/// token (its role and scope as claims), a deployed worker's own token, or a running task's token;
/// without that header, the dashboard's session cookie, as the token it was opened with.
/// </summary>
public sealed class BearerTokenHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, TokenFiles tokens, TaskTokens taskTokens,
    DeploymentTokens deploymentTokens, NamedTokens namedTokens, DashboardSessions sessions, AuthFailures failures)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "DroverBearer";

    /// <summary>Set on a request whose authentication failed from an address past its failure limit: answered 429, not 401.</summary>
    private const string BlockedFor = "drover-auth-blocked-for";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        // Counted per address: guessing tokens from one address soon waits out a minute. (A session
        // cookie is an HMAC no one guesses; an expired one left in a browser tab is not counted.)
        var address = Context.Connection.RemoteIpAddress;
        var bearer = Request.Headers.Authorization.Count > 0;
        var blocked = bearer ? failures.Blocked(address) : null;
        var result = await AuthenticateAnyAsync(rememberedOnly: blocked is not null);
        if (result.Failure is not null && bearer)
        {
            failures.Failed(address);
            if (blocked is { } wait) Context.Items[BlockedFor] = wait;
        }
        return result;
    }

    private async Task<AuthenticateResult> AuthenticateAnyAsync(bool rememberedOnly)
    {
        var header = Request.Headers.Authorization.ToString();
        if (string.IsNullOrEmpty(header)) return await FromSessionCookieAsync();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            return AuthenticateResult.Fail("The Authorization header must be 'Bearer <token>'.");

        var given = header["Bearer ".Length..].Trim();
        if (NamedTokens.LooksLikeOne(given))
        {
            var (token, refusal) = await namedTokens.VerifyAsync(given, Context.RequestAborted, rememberedOnly);
            return token is null ? AuthenticateResult.Fail(refusal!) : Success(Principal(token));
        }
        if (TaskTokens.LooksLikeOne(given))
        {
            // A running task's own token: good for its status, and only while that execution runs.
            if (taskTokens.Verify(given) is not { } execution) return AuthenticateResult.Fail("The task token is not valid.");
            return Success(new ClaimsIdentity([new Claim(ClaimTypes.Role, Roles.Task), new Claim(Roles.ExecutionClaim, execution.ToString())], SchemeName));
        }
        if (DeploymentTokens.LooksLikeOne(given))
        {
            // A token made for one worker a provider started: the worker protocol, while that worker is not given back.
            if (deploymentTokens.Verify(given) is not { } deployment)
                return AuthenticateResult.Fail("The worker's token is not valid, or its worker was given back.");
            return Success(new ClaimsIdentity([new Claim(ClaimTypes.Role, Roles.Worker), new Claim(ClaimTypes.Name, Roles.Worker),
                new Claim(Roles.DeploymentClaim, deployment)], SchemeName));
        }
        string? role = Matches(given, tokens.AdminToken) ? Roles.Admin : Matches(given, tokens.WorkerToken) ? Roles.Worker : null;
        if (role is null) return AuthenticateResult.Fail("The token is not valid.");
        return Success(role);
    }

    /// <summary>A named token's claims: its name, its role, and one claim per group and batch of its scope.</summary>
    private static ClaimsIdentity Principal(TokenRecord token)
    {
        var claims = new List<Claim> { new(ClaimTypes.Name, token.Name), new(ClaimTypes.Role, Json.Enums.Name(token.Role)) };
        claims.AddRange((token.Groups ?? []).Select(g => new Claim(Roles.GroupClaim, g)));
        claims.AddRange((token.Batches ?? []).Select(b => new Claim(Roles.BatchClaim, b)));
        return new ClaimsIdentity(claims, SchemeName);
    }

    private async ValueTask<AuthenticateResult> FromSessionCookieAsync()
    {
        if (!Request.Cookies.TryGetValue(DashboardSessions.CookieName, out var session)) return AuthenticateResult.NoResult();
        if (sessions.TokenOf(session) is not { } name) return AuthenticateResult.Fail("The session has expired or is not valid: log in again.");
        // The cookie is SameSite=Strict; a request that says it comes from another site is refused all the same.
        if (Request.Headers.Origin.ToString() is { Length: > 0 } origin
            && !(Uri.TryCreate(origin, UriKind.Absolute, out var from) && string.Equals(from.Authority, Request.Host.Value, StringComparison.OrdinalIgnoreCase)))
            return AuthenticateResult.Fail("A session cookie is accepted only from the dashboard's own origin.");
        if (name == Roles.Admin) return Success(Roles.Admin);
        // A named token's session: its role and scope as they are now; a revoked or expired token's session ends with it.
        return await namedTokens.ByNameAsync(name, Context.RequestAborted) is { } token
            ? Success(Principal(token))
            : AuthenticateResult.Fail($"The token '{name}' of this session was revoked or has expired: log in again.");
    }

    private static AuthenticateResult Success(string role) =>
        Success(new ClaimsIdentity([new Claim(ClaimTypes.Role, role), new Claim(ClaimTypes.Name, role)], SchemeName));

    private static AuthenticateResult Success(ClaimsIdentity identity) =>
        AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        if (Context.Items[BlockedFor] is TimeSpan wait)
        {
            await Http.RateLimits.TooManyAsync(Context, wait,
                $"Too many failed authentications from {Context.Connection.RemoteIpAddress} in a minute; try again in {Math.Ceiling(wait.TotalSeconds)} s.");
            return;
        }
        // Why this token was refused (expired, revoked...), then how to give one.
        var why = (await HandleAuthenticateOnceSafeAsync()).Failure?.Message is { } failure ? failure + " " : "";
        await WriteProblem(StatusCodes.Status401Unauthorized, "Unauthorized",
            why + "Send 'Authorization: Bearer <token>'; the admin token is in <data>/admin.token.");
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        WriteProblem(StatusCodes.Status403Forbidden, "Forbidden", ForbiddenDetail());

    private string ForbiddenDetail()
    {
        var name = Context.User.Identity?.Name;
        var role = Context.User.FindFirst(ClaimTypes.Role)?.Value;
        return role switch
        {
            Roles.Worker when name == Roles.Worker => "The worker token is good only for the worker protocol; use the admin token.",
            Roles.Task => "A task token is good only for its own task's status.",
            _ => $"The token '{name}' has the role {role}, which may not do this (see the README's security table).",
        };
    }

    private Task WriteProblem(int status, string title, string detail)
    {
        if (status == StatusCodes.Status401Unauthorized) Response.Headers.WWWAuthenticate = "Bearer";
        return Results.Problem(statusCode: status, title: title, detail: detail).ExecuteAsync(Context);
    }

    private static bool Matches(string given, string expected) =>
        CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), Encoding.UTF8.GetBytes(expected));
}
