using Drover.Model;

namespace Drover.Contracts;

/// <summary>The body of <c>POST /api/tokens</c>.</summary>
public sealed record TokenSpec
{
    public string? Name { get; init; }
    /// <summary>admin, submit, read or worker.</summary>
    public string? Role { get; init; }
    public List<string>? Groups { get; init; }
    public List<string>? Batches { get; init; }
    /// <summary>A duration from now (<c>90d</c>, <c>12h</c>); null for a token that does not expire.</summary>
    public string? Expires { get; init; }
}

/// <summary>The answer to <c>POST /api/tokens</c>: the token, and its secret, shown this once.</summary>
public sealed record CreatedToken
{
    public required TokenRecord Token { get; init; }
    public required string Secret { get; init; }
}
