using System.Security.Claims;

namespace Drover.Server.Auth;

/// <summary>Who a request comes from, as <c>GET /api/session</c> tells the dashboard: what it may show and which buttons work.</summary>
public sealed record Caller(string Name, string Role, IReadOnlyList<string>? Groups, IReadOnlyList<string>? Batches)
{
    public static Caller Of(ClaimsPrincipal user)
    {
        var scope = Scope.Of(user);
        return new Caller(user.Identity?.Name ?? "", user.FindFirst(ClaimTypes.Role)?.Value ?? "", scope.Groups, scope.Batches);
    }
}
