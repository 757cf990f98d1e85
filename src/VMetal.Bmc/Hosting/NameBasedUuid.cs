using System.Security.Cryptography;
using System.Text;

namespace VMetal.Bmc.Hosting;

/// <summary>RFC 4122 version 5 (SHA-1, name-based) UUIDs: the same namespace and name always give the same UUID.</summary>
internal static class NameBasedUuid
{
    /// <summary>RFC 4122 appendix C: names that are fully qualified domain names.</summary>
    public static readonly Guid DnsNamespace = new("6ba7b810-9dad-11d1-80b4-00c04fd430c8");

    public static Guid Create(Guid namespaceId, string name)
    {
        var input = new byte[16 + Encoding.UTF8.GetByteCount(name)];
        namespaceId.TryWriteBytes(input, bigEndian: true, out _);
        Encoding.UTF8.GetBytes(name, input.AsSpan(16));
#pragma warning disable CA5350 // RFC 4122 version 5 is defined on SHA-1; this is an identifier, not a security use.
        var hash = SHA1.HashData(input);
#pragma warning restore CA5350
        hash[6] = (byte)((hash[6] & 0x0F) | 0x50); // version 5
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80); // RFC 4122 variant
        return new Guid(hash.AsSpan(0, 16), bigEndian: true);
    }
}
