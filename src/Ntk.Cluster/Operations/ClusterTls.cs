using System.Security.Cryptography.X509Certificates;
using Akka.Event;
using Akka.Remote.Transport.DotNetty;

namespace Ntk.Cluster.Operations;

/// <summary>
/// Mutual TLS between nodes (docs/cluster.md, "Secure"): this node's certificate with its private key (PKCS#12), and
/// the certificate authority every peer's certificate must chain to.
/// </summary>
/// <param name="CertificatePath">PKCS#12 file (.pfx/.p12) holding this node's certificate and private key.</param>
/// <param name="Password">Its password (null or empty: none).</param>
/// <param name="CaPath">PEM or DER file of the CA that signs the cluster's certificates; null: the system's trust store.</param>
public sealed record TlsOptions(string CertificatePath, string? Password, string? CaPath);

/// <summary>
/// Akka.Remote over TLS with mutual authentication: each side presents its certificate and accepts the other's only
/// when its chain ends at the cluster's CA (<see cref="TlsOptions.CaPath"/>, trusted alone, so a certificate from any
/// other authority is refused even when the machine trusts that authority) — so a process without such a certificate
/// cannot associate with any node, let alone join. Host names are not checked: nodes are reached by IP address
/// (pods, containers) and the CA is the identity.
/// </summary>
internal static class ClusterTls
{
    /// <summary>HOCON switching the transport to TLS (the certificate itself comes through <see cref="Setup"/>).</summary>
    public const string Hocon = """
        akka.remote.dot-netty.tcp {
          enable-ssl = on
          ssl {
            suppress-validation = off
            require-mutual-authentication = on
            validate-certificate-hostname = off
          }
        }
        """;

    /// <summary>Reads the certificate and CA; throws <see cref="ArgumentException"/> saying which file is wrong.</summary>
    public static DotNettySslSetup Setup(TlsOptions options)
    {
        X509Certificate2 certificate;
        try
        {
            certificate = X509CertificateLoader.LoadPkcs12FromFile(options.CertificatePath, options.Password,
                X509KeyStorageFlags.EphemeralKeySet);
        }
        catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or IOException or UnauthorizedAccessException)
        {
            throw new ArgumentException($"--tls-certificate: cannot read {options.CertificatePath} as PKCS#12 (wrong file or password?): {e.Message}", e);
        }
        if (!certificate.HasPrivateKey)
            throw new ArgumentException($"--tls-certificate: {options.CertificatePath} holds no private key");
        if (options.CaPath is null) return new DotNettySslSetup(certificate, false, true, false);
        X509Certificate2 authority;
        try
        {
            authority = X509CertificateLoader.LoadCertificateFromFile(options.CaPath);
        }
        catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or IOException or UnauthorizedAccessException)
        {
            throw new ArgumentException($"--tls-ca: cannot read {options.CaPath} as a certificate (PEM or DER): {e.Message}", e);
        }
        return new DotNettySslSetup(certificate, false, true, false, (peer, _, remote, _, log) => IsSignedBy(peer, authority, remote, log));
    }

    /// <summary>True when <paramref name="peer"/> chains to <paramref name="authority"/>, trusted as the only root.</summary>
    internal static bool IsSignedBy(X509Certificate? peer, X509Certificate2 authority, string? remote, ILoggingAdapter? log)
    {
        if (peer is null)
        {
            log?.Warning("TlsPeerRefused: {0} presented no certificate", remote);
            return false;
        }
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(authority);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        using var certificate = new X509Certificate2(peer);
        if (chain.Build(certificate)) return true;
        log?.Warning("TlsPeerRefused: certificate {0} of {1} does not chain to the cluster CA {2}: {3}", certificate.Subject, remote,
            authority.Subject, string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation.Trim())));
        return false;
    }
}
