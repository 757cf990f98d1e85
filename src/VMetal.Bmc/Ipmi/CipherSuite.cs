using System.Security.Cryptography;

namespace VMetal.Bmc.Ipmi;

/// <summary>
/// An RMCP+ cipher suite (IPMI v2.0 table 22-20). Only suites with authentication, integrity and AES
/// confidentiality are offered, so a session can never run unauthenticated or in clear text.
/// </summary>
internal sealed class CipherSuite
{
    /// <summary>RAKP-HMAC-SHA1, HMAC-SHA1-96, AES-CBC-128: the suite every IPMI 2.0 BMC must offer.</summary>
    public static readonly CipherSuite Suite3 = new(3, authentication: 1, integrity: 1, HashAlgorithmName.SHA1, integrityCodeLength: 12);

    /// <summary>RAKP-HMAC-SHA256, HMAC-SHA256-128, AES-CBC-128: ipmitool's first choice.</summary>
    public static readonly CipherSuite Suite17 = new(17, authentication: 3, integrity: 4, HashAlgorithmName.SHA256, integrityCodeLength: 16);

    /// <summary>In order of preference.</summary>
    public static readonly IReadOnlyList<CipherSuite> Supported = [Suite17, Suite3];

    /// <summary>AES-CBC-128, the only confidentiality algorithm defined.</summary>
    public const byte AesCbc128 = 1;

    private readonly HashAlgorithmName _hash;

    private CipherSuite(byte id, byte authentication, byte integrity, HashAlgorithmName hash, int integrityCodeLength)
    {
        Id = id;
        AuthenticationAlgorithm = authentication;
        IntegrityAlgorithm = integrity;
        _hash = hash;
        IntegrityCodeLength = integrityCodeLength;
    }

    public byte Id { get; }

    public byte AuthenticationAlgorithm { get; }

    public byte IntegrityAlgorithm { get; }

    /// <summary>Length of the truncated HMAC in the session trailer and in RAKP message 4.</summary>
    public int IntegrityCodeLength { get; }

    /// <summary>The suite made of exactly these three algorithms, or null.</summary>
    public static CipherSuite? Find(byte authentication, byte integrity, byte confidentiality) =>
        Supported.FirstOrDefault(s => s.AuthenticationAlgorithm == authentication && s.IntegrityAlgorithm == integrity && confidentiality == AesCbc128);

    public byte[] Hmac(ReadOnlySpan<byte> key, ReadOnlySpan<byte> data) =>
        _hash == HashAlgorithmName.SHA1 ? HMACSHA1.HashData(key, data) : HMACSHA256.HashData(key, data);
}
