using System.Text.RegularExpressions;
using Drover.Contracts;
using Drover.Json;
using Drover.Model;
using Drover.Server.Auth;
using Drover.Server.Http;
using Drover.Storage;
using Drover.Validation;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Drover.Server.Endpoints;

/// <summary>Named tokens: create (the secret shown once), list, revoke. Admin only.</summary>
public static partial class TokenEndpoints
{
    public const int MaxScopeEntries = 100;
    public const int MaxScopeName = 200;
    public static readonly TimeSpan MaxLifetime = TimeSpan.FromDays(3650);

    public static void MapTokenEndpoints(this IEndpointRouteBuilder app)
    {
        var tokens = app.MapGroup("/api/tokens").RequireAuthorization(Roles.AdminPolicy).WithTags("tokens");
        tokens.MapPost("/", CreateAsync).Audit("token.create").Accepts<TokenSpec>("application/json").Produces<CreatedToken>(StatusCodes.Status201Created)
            .ProducesValidationProblem().ProducesProblem(StatusCodes.Status409Conflict)
            .WithSummary("Create a named token {name, role, groups, batches, expires}; its secret is in this answer only");
        tokens.MapGet("/", ListAsync).Produces<TokenRecord[]>()
            .WithSummary("Every token: the data directory's admin and worker tokens, then the named ones (never their secrets)");
        tokens.MapDelete("/{name}", RevokeAsync).Audit("token.revoke").Produces(StatusCodes.Status204NoContent)
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict)
            .WithSummary("Revoke a named token: refused from then on");
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
    private static partial Regex NamePattern();

    private static async Task<IResult> CreateAsync(HttpRequest request, NamedTokens tokens, TimeProvider time, CancellationToken cancellationToken)
    {
        var (spec, problem) = await JsonBody.ReadAsync<TokenSpec>(request, cancellationToken);
        if (problem is not null) return problem;
        var errors = new FieldErrors();
        if (spec!.Name is not { } name || !NamePattern().IsMatch(name))
            errors.Add("name", "must be 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit");
        else if (name is Roles.Admin or Roles.Worker)
            errors.Add("name", $"'{name}' is the data directory's {name} token; choose another name");
        TokenRole role = default;
        if (spec.Role is null) errors.Add("role", $"is required: one of {string.Join(", ", Enums.AllNames<TokenRole>())}");
        else if (!Enums.TryParse(spec.Role, out role)) errors.Add("role", $"'{spec.Role}' is not one of {string.Join(", ", Enums.AllNames<TokenRole>())}");
        CheckScope(spec.Groups, "groups", errors);
        CheckScope(spec.Batches, "batches", errors);
        if (role == TokenRole.Admin && (spec.Groups is { Count: > 0 } || spec.Batches is { Count: > 0 }))
            errors.Add("role", "an admin token sees everything: it takes no groups or batches");
        if (role == TokenRole.Worker && spec.Groups is { Count: > 0 })
            errors.Add("groups", "a worker token is scoped by batches only");
        var now = time.GetUtcNow();
        DateTimeOffset? expires = null;
        if (spec.Expires is { } text)
        {
            if (!Durations.TryParse(text, out var lifetime) || lifetime <= TimeSpan.Zero || lifetime > MaxLifetime)
                errors.Add("expires", $"'{text}' is not a duration from 1s to {MaxLifetime.TotalDays:0}d, such as 90d");
            else expires = now + lifetime;
        }
        if (!errors.IsEmpty) return Problems.Invalid(errors);

        var token = new TokenRecord
        {
            Name = spec.Name!, Role = role, Groups = Distinct(spec.Groups), Batches = Distinct(spec.Batches), Created = now, Expires = expires,
        };
        var secret = await tokens.CreateAsync(token, cancellationToken);
        if (secret is null) return Problems.Conflict("The name is taken.", $"There is already a token named '{token.Name}'; revoke it first, or choose another name.");
        return Results.Created($"/api/tokens/{Uri.EscapeDataString(token.Name)}", new CreatedToken { Token = token, Secret = secret });
    }

    private static void CheckScope(List<string>? names, string field, FieldErrors errors)
    {
        if (names is null) return;
        if (names.Count > MaxScopeEntries) errors.Add(field, $"must name at most {MaxScopeEntries}");
        foreach (var name in names.Take(MaxScopeEntries))
        {
            if (string.IsNullOrWhiteSpace(name) || name.Length > MaxScopeName || name.Any(char.IsControl))
                errors.Add(field, $"each must be 1 to {MaxScopeName} characters, without control characters");
        }
    }

    private static List<string>? Distinct(List<string>? names) => names is { Count: > 0 } ? [.. names.Distinct(StringComparer.Ordinal)] : null;

    private static async Task<IResult> ListAsync(NamedTokens tokens, IAccessStore store, CancellationToken cancellationToken) =>
        Results.Ok(tokens.FileTokens().Concat(await store.ListTokensAsync(cancellationToken)).ToList());

    private static async Task<IResult> RevokeAsync(string name, NamedTokens tokens, IAccessStore store, CancellationToken cancellationToken)
    {
        if (name is Roles.Admin or Roles.Worker)
            return Problems.Conflict("A token file cannot be revoked here.",
                $"The {name} token is the data directory's {name}.token: to change it, replace the file's content (or delete it) and restart the server.");
        if (!await store.RevokeTokenAsync(name, cancellationToken))
            return Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such token.", detail: $"There is no token named '{name}'.");
        tokens.Forget(name);
        return Results.NoContent();
    }
}
