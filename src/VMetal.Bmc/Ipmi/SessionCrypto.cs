using System.Security.Cryptography;

namespace VMetal.Bmc.Ipmi;

/// <summary>
/// The keys of an active RMCP+ session (IPMI v2.0 section 13.32): K1 signs every packet, the first 16
/// bytes of K2 are the AES-CBC-128 key. Both derive from the session integrity key (SIK).
/// </summary>
internal sealed class SessionCrypto : IDisposable
{
    private const int AesBlock = 16;

    // ipmitool (and the spec's errata) use 20-byte constants for every hash, SHA-256 included.
    private static readonly byte[] Constant1 = Enumerable.Repeat((byte)1, 20).ToArray();
    private static readonly byte[] Constant2 = Enumerable.Repeat((byte)2, 20).ToArray();

    private readonly byte[] _k1;
    private readonly Aes _aes;

    // Serial-over-LAN sends from its own tasks while the endpoint's loop answers requests: one cipher user at a time.
    private readonly Lock _lock = new();
    private bool _disposed;

    public SessionCrypto(CipherSuite suite, ReadOnlySpan<byte> sessionIntegrityKey)
    {
        Suite = suite;
        _k1 = suite.Hmac(sessionIntegrityKey, Constant1);
        _aes = Aes.Create();
        _aes.Key = suite.Hmac(sessionIntegrityKey, Constant2)[..AesBlock];
    }

    public CipherSuite Suite { get; }

    public void Sign(ReadOnlySpan<byte> data, Span<byte> destination) =>
        Suite.Hmac(_k1, data).AsSpan(0, Suite.IntegrityCodeLength).CopyTo(destination);

    public bool Verify(ReadOnlySpan<byte> data, ReadOnlySpan<byte> code) =>
        code.Length == Suite.IntegrityCodeLength
        && CryptographicOperations.FixedTimeEquals(Suite.Hmac(_k1, data).AsSpan(0, code.Length), code);

    /// <summary>Pads (1, 2, 3… then the pad length, table 13-20) and encrypts; returns IV followed by cipher text.</summary>
    public byte[] Encrypt(ReadOnlySpan<byte> plainText)
    {
        var padLength = (AesBlock - ((plainText.Length + 1) % AesBlock)) % AesBlock;
        var padded = new byte[plainText.Length + padLength + 1];
        plainText.CopyTo(padded);
        for (var i = 1; i <= padLength; i++)
        {
            padded[plainText.Length + i - 1] = (byte)i;
        }

        padded[^1] = (byte)padLength;
        var result = new byte[AesBlock + padded.Length];
        RandomNumberGenerator.Fill(result.AsSpan(0, AesBlock));
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _aes.EncryptCbc(padded, result.AsSpan(0, AesBlock), result.AsSpan(AesBlock), PaddingMode.None);
        }

        return result;
    }

    /// <summary>Decrypts IV plus cipher text and strips the confidentiality trailer; null if anything is malformed.</summary>
    public byte[]? Decrypt(ReadOnlySpan<byte> ivAndCipherText)
    {
        var cipherText = ivAndCipherText.Length - AesBlock;
        if (cipherText < AesBlock || cipherText % AesBlock != 0)
        {
            return null;
        }

        byte[] padded;
        lock (_lock)
        {
            if (_disposed)
            {
                return null;
            }

            padded = _aes.DecryptCbc(ivAndCipherText[AesBlock..], ivAndCipherText[..AesBlock], PaddingMode.None);
        }

        var padLength = padded[^1];
        if (padLength >= AesBlock || padLength >= padded.Length)
        {
            return null;
        }

        var dataLength = padded.Length - 1 - padLength;
        for (var i = 0; i < padLength; i++)
        {
            if (padded[dataLength + i] != i + 1)
            {
                return null;
            }
        }

        return padded[..dataLength];
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _disposed = true;
            _aes.Dispose();
        }
    }
}
