using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;

namespace VMetal.Bmc.Ipmi;

/// <summary>
/// Get LAN Configuration Parameters (Transport, section 23.2) for the LAN channel of one BMC: what
/// <c>ipmitool lan print</c> shows. The address is the one the BMC listens on; the MAC address and subnet mask are
/// those of the hypervisor interface holding it (zeros while no interface does: the service may start before its
/// bridge). Nothing here can be set. Parameters this BMC has no honest value for (gateways, VLAN, SNMP community,
/// ARP control…) answer "parameter not supported", which ipmitool skips.
/// </summary>
internal static class LanConfiguration
{
    public const byte GetLanConfigurationParameters = 0x02;

    private const byte ParameterRevision = 0x11;
    private const byte SetInProgress = 0;
    private const byte AuthenticationTypeSupport = 1;
    private const byte AuthenticationTypeEnables = 2;
    private const byte IpAddress = 3;
    private const byte IpAddressSource = 4;
    private const byte MacAddress = 5;
    private const byte SubnetMask = 6;
    private const byte CipherSuiteEntrySupport = 22;
    private const byte CipherSuiteEntries = 23;
    private const byte CipherSuitePrivilegeLevels = 24;

    public static IpmiResponse Get(byte[] data, IPAddress address)
    {
        if (data.Length != 4)
        {
            return IpmiResponse.Error(CompletionCodes.RequestDataLengthInvalid);
        }

        if ((data[0] & 0x0F) is not (ChannelCommands.LanChannel or 0x0E))
        {
            return IpmiResponse.Error(CompletionCodes.InvalidDataField);
        }

        if ((data[0] & 0x80) != 0)
        {
            return IpmiResponse.Ok(ParameterRevision); // "get parameter revision only"
        }

        var value = Parameter(data[1], address);
        return value is null ? IpmiResponse.Error(CompletionCodes.ParameterNotSupported) : IpmiResponse.Ok([ParameterRevision, .. value]);
    }

    private static byte[]? Parameter(byte parameter, IPAddress address)
    {
        var ipv4 = address.AddressFamily == AddressFamily.InterNetwork ? address : null;
        return parameter switch
        {
            SetInProgress => [0x00], // set complete
            AuthenticationTypeSupport => [0x00], // IPMI v1.5 authentication types: none offered (RMCP+ only)
            AuthenticationTypeEnables => [0, 0, 0, 0, 0],
            IpAddress when ipv4 is not null => ipv4.GetAddressBytes(),
            IpAddressSource when ipv4 is not null => [0x01], // static, configured by hand
            MacAddress => Interface(address)?.Mac ?? new byte[6],
            SubnetMask when ipv4 is not null => Interface(address)?.Mask ?? new byte[4],
            CipherSuiteEntrySupport => [(byte)CipherSuite.Supported.Count],
            CipherSuiteEntries => [0, .. CipherSuite.Supported.Select(suite => suite.Id)],
            CipherSuitePrivilegeLevels => CipherSuitePrivileges(),
            _ => null,
        };
    }

    /// <summary>A reserved byte, then one nibble per cipher suite entry (two per byte, low nibble first): the highest privilege.</summary>
    private static byte[] CipherSuitePrivileges()
    {
        var levels = new byte[9];
        for (var entry = 0; entry < CipherSuite.Supported.Count; entry++)
        {
            levels[1 + (entry / 2)] |= (byte)((byte)Privilege.Administrator << (entry % 2 * 4));
        }

        return levels;
    }

    /// <summary>The MAC address and IPv4 mask of the local interface holding <paramref name="address"/>, if one does.</summary>
    private static (byte[] Mac, byte[] Mask)? Interface(IPAddress address)
    {
        foreach (var nic in NetworkInterface.GetAllNetworkInterfaces())
        {
            var match = nic.GetIPProperties().UnicastAddresses.FirstOrDefault(unicast => unicast.Address.Equals(address));
            if (match is not null)
            {
                var mac = nic.GetPhysicalAddress().GetAddressBytes();
                return (mac.Length == 6 ? mac : new byte[6], match.IPv4Mask?.GetAddressBytes() ?? new byte[4]);
            }
        }

        return null;
    }
}
