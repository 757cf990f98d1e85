using System.Net;
using System.Net.Sockets;
using System.Numerics;

namespace VMetal.Topology;

/// <summary>Arithmetic on IPv4/IPv6 addresses as unsigned integers (ranges, subnets, masks).</summary>
internal static class AddressMath
{
    public static BigInteger ToInteger(IPAddress address)
        => new(address.GetAddressBytes(), isUnsigned: true, isBigEndian: true);

    public static IPAddress FromInteger(BigInteger value, AddressFamily family)
    {
        var length = family == AddressFamily.InterNetwork ? 4 : 16;
        var bytes = value.ToByteArray(isUnsigned: true, isBigEndian: true);
        var padded = new byte[length];
        bytes.CopyTo(padded.AsSpan(length - bytes.Length));
        return new IPAddress(padded);
    }

    public static int Bits(AddressFamily family) => family == AddressFamily.InterNetwork ? 32 : 128;

    /// <summary>The subnet containing <paramref name="address"/> (host bits cleared; IPNetwork refuses them).</summary>
    public static IPNetwork SubnetOf(IPAddress address, int prefixLength)
    {
        var bits = Bits(address.AddressFamily);
        var hostMask = (BigInteger.One << (bits - prefixLength)) - 1;
        var baseAddress = ToInteger(address) & ~hostMask & ((BigInteger.One << bits) - 1);
        return new IPNetwork(FromInteger(baseAddress, address.AddressFamily), prefixLength);
    }

    public static IPAddress Netmask(int prefixLength)
    {
        var mask = prefixLength == 0 ? 0u : uint.MaxValue << (32 - prefixLength);
        return FromInteger(mask, AddressFamily.InterNetwork);
    }

    /// <summary>Prefix length of a dotted netmask, or null when the mask is not contiguous ones then zeros.</summary>
    public static int? PrefixLengthOf(IPAddress netmask)
    {
        if (netmask.AddressFamily != AddressFamily.InterNetwork)
            return null;
        var value = (uint)ToInteger(netmask);
        var length = BitOperations.LeadingZeroCount(~value);
        return length == 32 || value << length == 0 ? length : null;
    }

    /// <summary>The last address of a subnet (IPv4 broadcast).</summary>
    public static IPAddress LastAddress(IPNetwork subnet)
    {
        var bits = Bits(subnet.BaseAddress.AddressFamily);
        var hostMask = (BigInteger.One << (bits - subnet.PrefixLength)) - 1;
        return FromInteger(ToInteger(subnet.BaseAddress) | hostMask, subnet.BaseAddress.AddressFamily);
    }

    public static bool Overlap(IPNetwork first, IPNetwork second)
        => first.BaseAddress.AddressFamily == second.BaseAddress.AddressFamily
            && (first.Contains(second.BaseAddress) || second.Contains(first.BaseAddress));

    public static BigInteger Count(IPAddress start, IPAddress end) => ToInteger(end) - ToInteger(start) + 1;

    public static IPAddress Add(IPAddress address, BigInteger offset)
        => FromInteger(ToInteger(address) + offset, address.AddressFamily);

    public static int Compare(IPAddress first, IPAddress second) => ToInteger(first).CompareTo(ToInteger(second));
}
