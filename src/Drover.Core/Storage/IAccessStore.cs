using Drover.Model;

namespace Drover.Storage;

/// <summary>
/// Named tokens and the audit log, kept in the task database beside the tasks (every backend; <c>--store none</c> keeps
/// them in memory). A token is found by the SHA-256 of its secret; the secret itself is never given
/// to the store.
/// </summary>
public interface IAccessStore
{
    /// <summary>Saves a new token with the hash of its secret; false (and nothing changed) when the name is taken.</summary>
    Task<bool> CreateTokenAsync(TokenRecord token, string secretHash, CancellationToken cancellationToken);

    /// <summary>The token whose secret has this hash, or null.</summary>
    Task<TokenRecord?> FindTokenAsync(string secretHash, CancellationToken cancellationToken);

    /// <summary>Every token, by name.</summary>
    Task<IReadOnlyList<TokenRecord>> ListTokensAsync(CancellationToken cancellationToken);

    /// <summary>Deletes the token; false when there was none by that name.</summary>
    Task<bool> RevokeTokenAsync(string name, CancellationToken cancellationToken);

    /// <summary>Records when the token was last accepted (it may have been revoked since: then nothing).</summary>
    Task TouchTokenAsync(string name, DateTimeOffset lastUsed, CancellationToken cancellationToken);

    /// <summary>Appends an entry to the audit log (durably); entries are never changed or deleted.</summary>
    Task AppendAuditAsync(AuditRecord entry, CancellationToken cancellationToken);

    /// <summary>Audit entries matching the filter (over <see cref="Query.AuditFields"/>), newest first.</summary>
    Task<IReadOnlyList<AuditRecord>> QueryAuditAsync(Query.Filter filter, int limit, CancellationToken cancellationToken);
}
