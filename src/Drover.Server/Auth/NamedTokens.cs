using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Drover.Model;
using Drover.Storage;
using Microsoft.Extensions.Logging;

namespace Drover.Server.Auth;

/// <summary>
/// Named tokens (<c>drover token create</c>): a secret made here and shown once, kept in the task
/// database only as its SHA-256 (a 256-bit random secret needs no slow hash). Checked tokens are
/// remembered for <see cref="Recheck"/>: a revoke on this server ends its token at once, one on
/// another server sharing the database within that time.
/// </summary>
public sealed class NamedTokens(IAccessStore store, TokenFiles files, TimeProvider time, ILogger<NamedTokens> logger)
{
    public const string Prefix = "dt1.";
    public static readonly TimeSpan Recheck = TimeSpan.FromSeconds(10);
    /// <summary>How stale a token's last-used time may get before it is written again.</summary>
    public static readonly TimeSpan TouchEvery = TimeSpan.FromMinutes(1);
    private const int MaxRemembered = 10_000;

    private readonly ConcurrentDictionary<string, (TokenRecord Token, DateTimeOffset Checked)> _checked = new(StringComparer.Ordinal);

    public static bool LooksLikeOne(string token) => token.StartsWith(Prefix, StringComparison.Ordinal);

    public static string Hash(string secret) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    /// <returns>The secret, or null when the name is taken.</returns>
    public async Task<string?> CreateAsync(TokenRecord token, CancellationToken cancellationToken)
    {
        var secret = Prefix + Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        return await store.CreateTokenAsync(token, Hash(secret), cancellationToken) ? secret : null;
    }

    /// <summary>The token this secret belongs to, if it is one, is not revoked and has not expired.</summary>
    /// <param name="rememberedOnly">Do not look in the store (an address past its failure limit): only a token checked moments ago passes.</param>
    public async ValueTask<(TokenRecord? Token, string? Refusal)> VerifyAsync(string secret, CancellationToken cancellationToken, bool rememberedOnly = false)
    {
        var hash = Hash(secret);
        var now = time.GetUtcNow();
        if (!_checked.TryGetValue(hash, out var entry) || now - entry.Checked > Recheck)
        {
            if (rememberedOnly) return (null, "The token was not looked up: too many failed authentications from this address.");
            var found = await store.FindTokenAsync(hash, cancellationToken);
            if (found is null)
            {
                _checked.TryRemove(hash, out _);
                return (null, "The token is not valid (unknown or revoked).");
            }
            // Bounded memory: a server asked with very many tokens starts over rather than growing.
            if (_checked.Count >= MaxRemembered) _checked.Clear();
            entry = (found, now);
            _checked[hash] = entry;
        }
        var token = entry.Token;
        if (token.Expires is { } expires && expires <= now) return (null, $"The token '{token.Name}' expired at {expires:u}.");
        if (token.LastUsed is not { } used || now - used >= TouchEvery)
        {
            _checked[hash] = (token with { LastUsed = now }, entry.Checked);
            _ = TouchAsync(token.Name, now);
        }
        return (token, null);
    }

    private (IReadOnlyList<TokenRecord> Tokens, DateTimeOffset Read)? _listed;

    /// <summary>The named token with this name, if it exists and has not expired (for a dashboard session; the list is read again after <see cref="Recheck"/>).</summary>
    public async ValueTask<TokenRecord?> ByNameAsync(string name, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (_listed is not { } listed || now - listed.Read > Recheck)
        {
            listed = (await store.ListTokensAsync(cancellationToken), now);
            _listed = listed;
        }
        return listed.Tokens.FirstOrDefault(t => t.Name == name && !(t.Expires <= now));
    }

    /// <summary>Forgets what was checked of this token here, so that a revoke takes effect at once.</summary>
    public void Forget(string name)
    {
        foreach (var (hash, entry) in _checked)
            if (entry.Token.Name == name) _checked.TryRemove(hash, out _);
        _listed = null;
    }

    /// <summary>The first admin and worker tokens: the data directory's token files, listed beside the named ones.</summary>
    public IReadOnlyList<TokenRecord> FileTokens() =>
    [
        new() { Name = Roles.Admin, Role = TokenRole.Admin, Created = File.GetLastWriteTimeUtc(files.AdminTokenPath), Source = "file" },
        new() { Name = Roles.Worker, Role = TokenRole.Worker, Created = File.GetLastWriteTimeUtc(files.WorkerTokenPath), Source = "file" },
    ];

    private async Task TouchAsync(string name, DateTimeOffset now)
    {
        try
        {
            await store.TouchTokenAsync(name, now, CancellationToken.None);
        }
        catch (Exception ex)
        {
            logger.LogWarning(ex, "Could not record when token {Name} was last used", name);
        }
    }
}
