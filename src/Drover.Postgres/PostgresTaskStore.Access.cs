using Drover.Model;

namespace Drover.Postgres;

/// <summary>Named tokens: one JSON document each, found by name or by the hash of the secret.</summary>
public sealed partial class PostgresTaskStore
{
    public async Task<bool> CreateTokenAsync(TokenRecord token, string secretHash, CancellationToken cancellationToken)
    {
        await using var command = Command("INSERT INTO tokens (name, hash, doc) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            token.Name, secretHash, PgRows.JsonText(token));
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    public async Task<TokenRecord?> FindTokenAsync(string secretHash, CancellationToken cancellationToken) =>
        (await DocumentsAsync<TokenRecord>("SELECT doc FROM tokens WHERE hash = $1", cancellationToken, secretHash)).FirstOrDefault();

    public Task<IReadOnlyList<TokenRecord>> ListTokensAsync(CancellationToken cancellationToken) =>
        DocumentsAsync<TokenRecord>("SELECT doc FROM tokens ORDER BY name", cancellationToken);

    public async Task<bool> RevokeTokenAsync(string name, CancellationToken cancellationToken)
    {
        await using var command = Command("DELETE FROM tokens WHERE name = $1", name);
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    public async Task AppendAuditAsync(AuditRecord entry, CancellationToken cancellationToken)
    {
        await using var command = Command("INSERT INTO audit (at, token, role, action, target, detail, address, status) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            entry.Time, entry.Token, entry.Role, entry.Action, entry.Target, entry.Detail, entry.Address, entry.Status);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public Task<IReadOnlyList<AuditRecord>> QueryAuditAsync(Query.Filter filter, int limit, CancellationToken cancellationToken) =>
        _reader.QueryAuditAsync(filter, limit, cancellationToken);

    public async Task TouchTokenAsync(string name, DateTimeOffset lastUsed, CancellationToken cancellationToken)
    {
        await using var command = Command("UPDATE tokens SET doc = jsonb_set(doc::jsonb, '{last_used}', to_jsonb($2::text))::text WHERE name = $1",
            name, lastUsed.UtcDateTime.ToString("O", System.Globalization.CultureInfo.InvariantCulture));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
