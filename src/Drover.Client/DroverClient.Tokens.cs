using Drover.Contracts;
using Drover.Model;

namespace Drover.Client;

/// <summary>Named tokens (<c>/api/tokens</c>) and the audit log (<c>/api/audit</c>), admin only.</summary>
public sealed partial class DroverClient
{
    /// <summary>Creates a named token; the answer holds its secret, which the server never shows again.</summary>
    public async Task<CreatedToken> CreateTokenAsync(TokenSpec token, CancellationToken cancellationToken) =>
        (await _sender.SendAsync<CreatedToken>(HttpMethod.Post, "api/tokens", token, CallKind.Write, cancellationToken))!;

    /// <summary>The data directory's admin and worker tokens, then every named token (never a secret).</summary>
    public async Task<IReadOnlyList<TokenRecord>> ListTokensAsync(CancellationToken cancellationToken) =>
        (await _sender.SendAsync<List<TokenRecord>>(HttpMethod.Get, "api/tokens", null, CallKind.Read, cancellationToken))!;

    public async Task RevokeTokenAsync(string name, CancellationToken cancellationToken) =>
        await _sender.SendAsync<System.Text.Json.JsonElement>(HttpMethod.Delete, $"api/tokens/{Uri.EscapeDataString(name)}", null, CallKind.Write, cancellationToken);

    /// <summary>Audit entries newest first, since a duration ago (<c>1h</c>) or a time, when given.</summary>
    public async Task<IReadOnlyList<AuditRecord>> ListAuditAsync(string? since, int limit, CancellationToken cancellationToken) =>
        (await _sender.SendAsync<List<AuditRecord>>(HttpMethod.Get,
            $"api/audit?limit={limit}" + (since is null ? "" : "&since=" + Uri.EscapeDataString(since)), null, CallKind.Read, cancellationToken))!;

    /// <summary>Audit entries matching a filter (the task filter language over the audit fields), newest first.</summary>
    public async Task<IReadOnlyList<AuditRecord>> QueryAuditAsync(System.Text.Json.JsonElement filter, int limit, CancellationToken cancellationToken) =>
        (await _sender.SendAsync<List<AuditRecord>>(HttpMethod.Post, "api/audit/query", new { filter, limit }, CallKind.Read, cancellationToken))!;
}
