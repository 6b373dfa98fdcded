using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Drover.Server.Auth;

/// <summary>
/// The dashboard's login: whoever gives the admin token gets a session value in an HTTP-only cookie,
/// so the token itself is never kept by the browser. A value names its expiry and carries an HMAC
/// keyed from the admin token: any server sharing the tokens accepts it, and a new admin token ends
/// every session.
/// </summary>
public sealed class DashboardSessions(TokenFiles tokens, TimeProvider time)
{
    public const string CookieName = "drover_session";
    public static readonly TimeSpan Lifetime = TimeSpan.FromDays(7);
    private const string Prefix = "s1.";
    private readonly byte[] _key = SHA256.HashData(Encoding.UTF8.GetBytes("drover-dashboard-session:" + tokens.AdminToken));

    public (string Value, DateTimeOffset Expires) Create()
    {
        var expires = time.GetUtcNow() + Lifetime;
        var seconds = expires.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        return ($"{Prefix}{seconds}.{Sign(seconds)}", expires);
    }

    public bool IsValid(string? value)
    {
        if (value is null || !value.StartsWith(Prefix, StringComparison.Ordinal)) return false;
        var parts = value.Split('.');
        if (parts.Length != 3 || !long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)) return false;
        if (!CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(parts[2]), Encoding.ASCII.GetBytes(Sign(parts[1])))) return false;
        return time.GetUtcNow().ToUnixTimeSeconds() < seconds;
    }

    private string Sign(string expires) =>
        Convert.ToBase64String(HMACSHA256.HashData(_key, Encoding.ASCII.GetBytes(expires))).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
