using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;

namespace Drover.Server.Auth;

/// <summary>
/// The worker token made for one deployed worker: it names the deployment and carries an HMAC keyed
/// from the worker token, so any server sharing the tokens can check it. It stops working once its
/// worker is given back (on the server that gave it back: the recruiting one, which the others'
/// workers do not talk to).
/// </summary>
public sealed class DeploymentTokens(TokenFiles tokens)
{
    private const string Prefix = "w1.";
    private readonly byte[] _key = SHA256.HashData(Encoding.UTF8.GetBytes("drover-deployment-token:" + tokens.WorkerToken));
    private readonly ConcurrentDictionary<string, bool> _revoked = new(StringComparer.Ordinal);

    public string For(string deployment) => $"{Prefix}{Encode(Encoding.UTF8.GetBytes(deployment))}.{Sign(deployment)}";

    public static bool LooksLikeOne(string token) => token.StartsWith(Prefix, StringComparison.Ordinal);

    /// <returns>The deployment the token was made for, or null when it is not genuine or was revoked.</returns>
    public string? Verify(string token)
    {
        var parts = token.Split('.');
        if (parts.Length != 3) return null;
        string deployment;
        try
        {
            deployment = Encoding.UTF8.GetString(Decode(parts[1]));
        }
        catch (FormatException)
        {
            return null;
        }
        if (!CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(parts[2]), Encoding.ASCII.GetBytes(Sign(deployment)))) return null;
        return _revoked.ContainsKey(deployment) ? null : deployment;
    }

    public void Revoke(string deployment) => _revoked[deployment] = true;

    private string Sign(string deployment) => Encode(HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes(deployment)));

    private static string Encode(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static byte[] Decode(string text)
    {
        var padded = text.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(padded + new string('=', (4 - padded.Length % 4) % 4));
    }
}
