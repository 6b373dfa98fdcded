using Drover.Model;

namespace Drover.Storage.Memory;

/// <summary>Named tokens and the audit log, kept in memory (also by <c>--store none</c>: they are not tasks).</summary>
public sealed partial class MemoryTaskStore : IAccessStore
{
    private readonly Lock _accessGate = new();
    private readonly SortedDictionary<string, (TokenRecord Token, string Hash)> _tokens = new(StringComparer.Ordinal);

    public Task<bool> CreateTokenAsync(TokenRecord token, string secretHash, CancellationToken cancellationToken)
    {
        lock (_accessGate) return Task.FromResult(_tokens.TryAdd(token.Name, (token, secretHash)));
    }

    public Task<TokenRecord?> FindTokenAsync(string secretHash, CancellationToken cancellationToken)
    {
        lock (_accessGate) return Task.FromResult(_tokens.Values.Where(t => t.Hash == secretHash).Select(t => t.Token).FirstOrDefault());
    }

    public Task<IReadOnlyList<TokenRecord>> ListTokensAsync(CancellationToken cancellationToken)
    {
        lock (_accessGate) return Task.FromResult<IReadOnlyList<TokenRecord>>([.. _tokens.Values.Select(t => t.Token)]);
    }

    public Task<bool> RevokeTokenAsync(string name, CancellationToken cancellationToken)
    {
        lock (_accessGate) return Task.FromResult(_tokens.Remove(name));
    }

    private readonly List<AuditRecord> _audit = [];

    public Task AppendAuditAsync(AuditRecord entry, CancellationToken cancellationToken)
    {
        lock (_accessGate) _audit.Add(entry with { Seq = _audit.Count + 1 });
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<AuditRecord>> QueryAuditAsync(Query.Filter filter, int limit, CancellationToken cancellationToken)
    {
        lock (_accessGate)
        {
            return Task.FromResult<IReadOnlyList<AuditRecord>>(
                [.. Enumerable.Reverse(_audit).Where(e => Query.FilterEvaluator.Matches(filter, f => Query.AuditFields.Value(f, e))).Take(limit)]);
        }
    }

    public Task TouchTokenAsync(string name, DateTimeOffset lastUsed, CancellationToken cancellationToken)
    {
        lock (_accessGate)
        {
            if (_tokens.TryGetValue(name, out var entry)) _tokens[name] = (entry.Token with { LastUsed = lastUsed }, entry.Hash);
        }
        return Task.CompletedTask;
    }
}
