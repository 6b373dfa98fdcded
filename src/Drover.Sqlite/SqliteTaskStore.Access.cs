using Drover.Model;
using Drover.Storage;

namespace Drover.Sqlite;

/// <summary>Named tokens: one JSON document each, found by name or by the hash of the secret.</summary>
public sealed partial class SqliteTaskStore
{
    public Task<bool> CreateTokenAsync(TokenRecord token, string secretHash, CancellationToken cancellationToken) =>
        _writer.WriteAsync(context => context.QueryOnce(
            "INSERT INTO tokens (name, hash, doc) VALUES ($name, $hash, $doc) ON CONFLICT DO NOTHING RETURNING name",
            r => r.GetString(0), [("$name", token.Name), ("$hash", secretHash), ("$doc", SqliteValues.JsonText(token)!)]).Count == 1,
            cancellationToken);

    public async Task<TokenRecord?> FindTokenAsync(string secretHash, CancellationToken cancellationToken) =>
        (await _reader.QueryAsync("SELECT doc FROM tokens WHERE hash = $hash", r => SqliteValues.FromJson<TokenRecord>(r.GetString(0))!,
            cancellationToken, ("$hash", secretHash))).FirstOrDefault();

    public Task<IReadOnlyList<TokenRecord>> ListTokensAsync(CancellationToken cancellationToken) =>
        _reader.QueryAsync("SELECT doc FROM tokens ORDER BY name", r => SqliteValues.FromJson<TokenRecord>(r.GetString(0))!, cancellationToken);

    public Task<bool> RevokeTokenAsync(string name, CancellationToken cancellationToken) =>
        _writer.WriteAsync(context => context.QueryOnce("DELETE FROM tokens WHERE name = $name RETURNING name",
            r => r.GetString(0), [("$name", name)]).Count == 1, cancellationToken);

    public Task AppendAuditAsync(AuditRecord entry, CancellationToken cancellationToken) =>
        _writer.WriteAsync(context =>
        {
            context.Execute("INSERT INTO audit (at, token, role, action, target, detail, address, status) " +
                "VALUES ($at, $token, $role, $action, $target, $detail, $address, $status)",
                ("$at", SqliteValues.Time(entry.Time)), ("$token", entry.Token), ("$role", entry.Role), ("$action", entry.Action),
                ("$target", SqliteValues.TextOrNull(entry.Target)), ("$detail", SqliteValues.TextOrNull(entry.Detail)),
                ("$address", SqliteValues.TextOrNull(entry.Address)), ("$status", entry.Status));
            return true;
        }, cancellationToken);

    public Task<IReadOnlyList<AuditRecord>> QueryAuditAsync(Query.Filter filter, int limit, CancellationToken cancellationToken) =>
        _reader.QueryAuditAsync(filter, limit, cancellationToken);

    // Not durable: a last-used time lost with the machine is only a minute's news.
    public Task TouchTokenAsync(string name, DateTimeOffset lastUsed, CancellationToken cancellationToken) =>
        _writer.WriteAsync(context =>
        {
            context.Execute("UPDATE tokens SET doc = json_set(doc, '$.last_used', $used) WHERE name = $name",
                ("$name", name), ("$used", SqliteValues.Time(lastUsed)));
            return true;
        }, cancellationToken, durable: false);
}
