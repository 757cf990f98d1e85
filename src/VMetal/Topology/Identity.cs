using System.Security.Cryptography;
using System.Text;

namespace VMetal.Topology;

/// <summary>
/// Deterministic MAC addresses: the same workspace, node name and NIC index always give the same
/// MAC, so a re-run keeps DHCP leases, Ironic ports and instackenv files valid.
/// </summary>
public static class MacAddresses
{
    /// <summary>QEMU/KVM's locally administered OUI, which libvirt also uses for its random MACs.</summary>
    public const string Oui = "52:54:00";

    /// <summary>
    /// <c>52:54:00</c> plus the first three bytes of SHA-256(workspace, node, nic, attempt).
    /// <paramref name="attempt"/> is raised by the caller to step past a collision.
    /// </summary>
    public static string Derive(string workspace, string nodeName, int nicIndex, int attempt = 0)
    {
        var hash = Hashing.Sha256("mac", workspace, nodeName, nicIndex.ToString(System.Globalization.CultureInfo.InvariantCulture), attempt.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return $"{Oui}:{hash[0]:x2}:{hash[1]:x2}:{hash[2]:x2}";
    }
}

/// <summary>Name-based (RFC 4122 version 5 style, SHA-1) UUIDs, so domains and networks keep their UUID across runs.</summary>
public static class NameBasedUuid
{
    /// <summary>vmetal's own namespace UUID; changing it would change every derived UUID.</summary>
    public static readonly Guid Namespace = new("6f1f3b0e-5d9a-4c53-9a51-2f0d8c7e4b21");

    public static Guid ForDomain(string workspace, string domainName) => Create($"domain\n{workspace}\n{domainName}");

    public static Guid ForNetwork(string workspace, string networkName) => Create($"network\n{workspace}\n{networkName}");

    public static Guid Create(string name)
    {
        Span<byte> input = stackalloc byte[16];
        Namespace.TryWriteBytes(input, bigEndian: true, out _);
        var nameBytes = Encoding.UTF8.GetBytes(name);
#pragma warning disable CA5350 // SHA-1 is what RFC 4122 version 5 prescribes; this is naming, not security.
        var hash = SHA1.HashData([.. input, .. nameBytes]);
#pragma warning restore CA5350
        hash[6] = (byte)((hash[6] & 0x0F) | 0x50);
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80);
        return new Guid(hash.AsSpan(0, 16), bigEndian: true);
    }
}

/// <summary>Names that must fit Linux and libvirt limits.</summary>
public static class SafeNames
{
    /// <summary>Linux IFNAMSIZ is 16 including the terminating NUL.</summary>
    public const int MaxInterfaceNameLength = 15;

    /// <summary>
    /// The bridge for a libvirt network: the prefixed network name itself when it fits (what
    /// infrared does, so facts like <c>ansible_&lt;prefix&gt;_management</c> keep working), otherwise
    /// its first 9 characters, a dash and 5 hex digits of a hash of the whole name. infrared instead
    /// refuses prefixes longer than 4 characters. <paramref name="attempt"/> steps past collisions.
    /// </summary>
    public static string BridgeName(string networkName, int attempt = 0)
    {
        if (attempt == 0 && IsValidInterfaceName(networkName))
            return networkName;
        var hash = Convert.ToHexStringLower(Hashing.Sha256("bridge", networkName, attempt.ToString(System.Globalization.CultureInfo.InvariantCulture)))[..5];
        var head = networkName[..Math.Min(9, networkName.Length)].TrimEnd('-', '.');
        return $"{head}-{hash}";
    }

    /// <summary>True for names Linux accepts as network interface names.</summary>
    public static bool IsValidInterfaceName(string name)
        => name.Length is > 0 and <= MaxInterfaceNameLength
            && name is not "." and not ".."
            && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');

    /// <summary>Names used in libvirt object names and file names: letters, digits, '-', '_', '.', not starting with '-' or '.'.</summary>
    public static bool IsValidObjectName(string name)
        => name.Length > 0
            && char.IsAsciiLetterOrDigit(name[0])
            && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');
}

internal static class Hashing
{
    /// <summary>SHA-256 over the parts, each followed by a NUL so ("ab","c") and ("a","bc") differ.</summary>
    public static byte[] Sha256(params string[] parts)
        => SHA256.HashData(Encoding.UTF8.GetBytes(string.Concat(parts.Select(part => part + "\0"))));
}
