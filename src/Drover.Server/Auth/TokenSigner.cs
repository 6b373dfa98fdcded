using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace Drover.Server.Auth;

/// <summary>
/// An HMAC-SHA256 keyed from one of the token files and a purpose: any server sharing the tokens
/// checks what another signed, and what is signed for one purpose (a task, a dashboard session, a
/// deployed worker) is never good for another. Signatures are base64url, without padding.
/// </summary>
internal sealed class TokenSigner(string purpose, string secret)
{
    private readonly byte[] _key = SHA256.HashData(Encoding.UTF8.GetBytes($"{purpose}:{secret}"));

    public string Sign(ReadOnlySpan<byte> data) => Base64Url.EncodeToString(HMACSHA256.HashData(_key, data));

    public string Sign(string text) => Sign(Encoding.UTF8.GetBytes(text));

    /// <summary>Whether <paramref name="signature"/> is this signer's for <paramref name="data"/>, compared in fixed time.</summary>
    public bool IsSignature(ReadOnlySpan<byte> data, string signature) =>
        CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(signature), Encoding.ASCII.GetBytes(Sign(data)));

    public bool IsSignature(string text, string signature) => IsSignature(Encoding.UTF8.GetBytes(text), signature);
}
