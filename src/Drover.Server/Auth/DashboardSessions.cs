using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;

namespace Drover.Server.Auth;

/// <summary>
/// The dashboard's login: whoever gives the admin token, or a named token that is not a worker's, gets
/// a session value in an HTTP-only cookie, so the token itself is never kept by the browser. A value
/// names its expiry, a random id and the token's name (its role and scope are looked up on each
/// request, so a revoked token's sessions end with it), and
/// carries an HMAC keyed from the admin token: any server sharing the tokens accepts it, and a new
/// admin token ends every session. Logging out ends that one session for good: its id goes into
/// <c>sessions.revoked</c> in the data directory (kept until the session would have expired anyway),
/// which every server on that directory reads.
/// </summary>
public sealed class DashboardSessions
{
    public const string CookieName = "drover_session";
    public const string RevokedFileName = "sessions.revoked";
    public static readonly TimeSpan Lifetime = TimeSpan.FromDays(7);
    private const string Prefix = "s3.";

    private readonly TimeProvider _time;
    private readonly TokenSigner _signer;
    private readonly string _revokedPath;
    private readonly Lock _gate = new();
    private HashSet<string> _revoked = [];
    private DateTime _revokedRead = DateTime.MinValue;

    public DashboardSessions(TokenFiles tokens, TimeProvider time)
    {
        _time = time;
        _signer = new TokenSigner("drover-dashboard-session", tokens.AdminToken);
        _revokedPath = Path.Combine(Path.GetDirectoryName(tokens.AdminTokenPath)!, RevokedFileName);
    }

    /// <param name="token">The name of the token logged in with: <c>admin</c> for the admin token file.</param>
    public (string Value, DateTimeOffset Expires) Create(string token)
    {
        var expires = _time.GetUtcNow() + Lifetime;
        var seconds = expires.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var id = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(16));
        var name = Base64Url.EncodeToString(System.Text.Encoding.UTF8.GetBytes(token));
        return ($"{Prefix}{seconds}.{id}.{name}.{_signer.Sign($"{seconds}.{id}.{name}")}", expires);
    }

    /// <returns>The name of the token the session was opened with, or null when it is not a valid session.</returns>
    public string? TokenOf(string? value) => Parse(value) is { } session && !IsRevoked(session.Id) ? session.Token : null;

    /// <summary>Ends the session on every server that shares the data directory; an invalid value is ignored.</summary>
    public void Revoke(string? value)
    {
        if (Parse(value) is not { } session) return;
        lock (_gate)
        {
            var options = new FileStreamOptions
            {
                Mode = FileMode.Append,
                Access = FileAccess.Write,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            };
            using (var file = new StreamWriter(new FileStream(_revokedPath, options)))
                file.WriteLine($"{session.Expires} {session.Id}");
            _revoked.Add(session.Id);
        }
    }

    private (long Expires, string Id, string Token)? Parse(string? value)
    {
        if (value is null || !value.StartsWith(Prefix, StringComparison.Ordinal)) return null;
        var parts = value[Prefix.Length..].Split('.');
        if (parts.Length != 4 || !long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)) return null;
        if (!_signer.IsSignature($"{parts[0]}.{parts[1]}.{parts[2]}", parts[3])) return null;
        if (_time.GetUtcNow().ToUnixTimeSeconds() >= seconds) return null;
        try
        {
            return (seconds, parts[1], System.Text.Encoding.UTF8.GetString(Base64Url.DecodeFromChars(parts[2])));
        }
        catch (FormatException)
        {
            return null;
        }
    }

    /// <summary>Reads the revoked ids again whenever the file has changed (another server may have written it).</summary>
    private bool IsRevoked(string id)
    {
        lock (_gate)
        {
            var written = File.Exists(_revokedPath) ? File.GetLastWriteTimeUtc(_revokedPath) : DateTime.MinValue;
            if (written != _revokedRead)
            {
                var now = _time.GetUtcNow().ToUnixTimeSeconds();
                _revoked = File.Exists(_revokedPath)
                    ? File.ReadLines(_revokedPath)
                        .Select(line => line.Split(' '))
                        .Where(p => p.Length == 2 && long.TryParse(p[0], NumberStyles.None, CultureInfo.InvariantCulture, out var expires) && expires > now)
                        .Select(p => p[1]).ToHashSet(StringComparer.Ordinal)
                    : [];
                _revokedRead = written;
            }
            return _revoked.Contains(id);
        }
    }
}
