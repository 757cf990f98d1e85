using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace VMetal.Bmc.Redfish;

/// <summary>Loads the Redfish TLS certificate, or creates and keeps a self-signed one.</summary>
internal static class TlsCertificates
{
    private static readonly TimeSpan Lifetime = TimeSpan.FromDays(3650);

    /// <summary>A PFX/PKCS#12 file, or a PEM certificate with its key in the same file or in <paramref name="keyFile"/>.</summary>
    /// <exception cref="CryptographicException">The files cannot be read as a certificate with a private key.</exception>
    public static X509Certificate2 Load(string certificateFile, string? keyFile)
    {
        var bytes = File.ReadAllBytes(certificateFile);
        var isPem = bytes.AsSpan().IndexOf("-----BEGIN"u8) >= 0;
        using var certificate = isPem ? X509Certificate2.CreateFromPemFile(certificateFile, keyFile) : X509CertificateLoader.LoadPkcs12(bytes, null);
        if (!certificate.HasPrivateKey)
        {
            throw new CryptographicException($"{certificateFile} has no private key; give certificateKeyFile");
        }

        // Re-import so that the key is usable by the TLS stack whatever form it came in.
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null);
    }

    /// <summary>
    /// The self-signed certificate kept at <paramref name="file"/>; created (mode 0600) when missing, or when it no
    /// longer names every address it is served on or is about to expire.
    /// </summary>
    public static X509Certificate2 LoadOrCreateSelfSigned(string file, string subject, IReadOnlyCollection<IPAddress> addresses, TimeProvider time)
    {
        if (File.Exists(file))
        {
            var existing = X509CertificateLoader.LoadPkcs12(File.ReadAllBytes(file), null);
            if (existing.NotAfter > time.GetUtcNow().AddDays(30) && addresses.All(IpAddressesOf(existing).Contains))
            {
                return existing;
            }

            existing.Dispose();
        }

        var created = CreateSelfSigned(subject, addresses, time);
        OwnerOnlyFile.Write(file, created.Export(X509ContentType.Pkcs12));
        return created;
    }

    private static X509Certificate2 CreateSelfSigned(string subject, IReadOnlyCollection<IPAddress> addresses, TimeProvider time)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={subject}, O=vmetal", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        foreach (var address in addresses.Where(a => !a.Equals(IPAddress.Any) && !a.Equals(IPAddress.IPv6Any)))
        {
            names.AddIpAddress(address);
        }

        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false)); // server authentication
        var now = time.GetUtcNow();
        using var certificate = request.CreateSelfSigned(now.AddDays(-1), now.Add(Lifetime));
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null);
    }

    private static HashSet<IPAddress> IpAddressesOf(X509Certificate2 certificate) =>
        certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>().SelectMany(e => e.EnumerateIPAddresses()).ToHashSet();
}
