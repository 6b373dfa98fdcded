using System.Buffers.Text;
using System.Collections.Concurrent;
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
    private readonly TokenSigner _signer = new("drover-deployment-token", tokens.WorkerToken);
    private readonly ConcurrentDictionary<string, bool> _revoked = new(StringComparer.Ordinal);

    public string For(string deployment) =>
        $"{Prefix}{Base64Url.EncodeToString(Encoding.UTF8.GetBytes(deployment))}.{_signer.Sign(deployment)}";

    public static bool LooksLikeOne(string token) => token.StartsWith(Prefix, StringComparison.Ordinal);

    /// <returns>The deployment the token was made for, or null when it is not genuine or was revoked.</returns>
    public string? Verify(string token)
    {
        var parts = token.Split('.');
        if (parts.Length != 3) return null;
        string deployment;
        try
        {
            deployment = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(parts[1]));
        }
        catch (FormatException)
        {
            return null;
        }
        return _signer.IsSignature(deployment, parts[2]) && !_revoked.ContainsKey(deployment) ? deployment : null;
    }

    public void Revoke(string deployment) => _revoked[deployment] = true;
}
