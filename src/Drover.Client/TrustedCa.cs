using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace Drover.Client;

/// <summary>
/// A private certificate authority to trust for <c>https://</c> servers (<c>--ca FILE</c>): a server
/// certificate that the system's store does not trust is accepted when it chains to one of the PEM
/// file's certificates and names the host asked for.
/// </summary>
public static class TrustedCa
{
    /// <summary>The check for a server's certificate; null (the system's trust alone) when no file is given.</summary>
    /// <exception cref="ArgumentException">The file cannot be read as PEM certificates.</exception>
    public static RemoteCertificateValidationCallback? Callback(string? caFile)
    {
        if (caFile is null) return null;
        var authorities = new X509Certificate2Collection();
        try
        {
            authorities.ImportFromPemFile(caFile);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
        {
            throw new ArgumentException($"--ca: cannot read certificates from {caFile}: {ex.Message}", ex);
        }
        if (authorities.Count == 0) throw new ArgumentException($"--ca: {caFile} holds no PEM certificate");
        return (_, certificate, _, errors) =>
        {
            if (errors == SslPolicyErrors.None) return true;
            // A wrong host name or no certificate at all is never excused; only an authority the system does not know.
            if (certificate is null || (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) != SslPolicyErrors.None) return false;
            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.AddRange(authorities);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            return chain.Build(new X509Certificate2(certificate));
        };
    }

    /// <summary>An HTTP handler that trusts the file's authorities besides the system's.</summary>
    public static HttpMessageHandler Handler(string? caFile) => new SocketsHttpHandler
    {
        SslOptions = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = Callback(caFile) },
        PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1),
    };
}
