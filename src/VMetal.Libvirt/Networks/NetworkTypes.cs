namespace VMetal.Libvirt;

/// <summary>virConnectListAllNetworksFlags; none = every network.</summary>
[Flags]
public enum NetworkListFlags : uint
{
    None = 0,
    Inactive = 1 << 0,
    Active = 1 << 1,
    Persistent = 1 << 2,
    Transient = 1 << 3,
    Autostart = 1 << 4,
    NoAutostart = 1 << 5,
}

/// <summary>virNetworkDefineFlags.</summary>
[Flags]
public enum NetworkDefineFlags : uint
{
    None = 0,
    Validate = 1 << 0,
}

/// <summary>virNetworkXMLFlags.</summary>
[Flags]
public enum NetworkXmlFlags : uint
{
    None = 0,
    Inactive = 1 << 0,
}

/// <summary>virNetworkUpdateCommand.</summary>
public enum NetworkUpdateCommand : uint
{
    Modify = 1,
    Delete = 2,
    AddLast = 3,
    AddFirst = 4,
}

/// <summary>virNetworkUpdateSection: which part of the network XML an update touches.</summary>
public enum NetworkUpdateSection : uint
{
    Bridge = 1,
    Domain = 2,
    IP = 3,
    /// <summary>A &lt;host mac= ip= name=/&gt; element under &lt;ip&gt;&lt;dhcp&gt;.</summary>
    IPDhcpHost = 4,
    IPDhcpRange = 5,
    Forward = 6,
    ForwardInterface = 7,
    ForwardPF = 8,
    PortGroup = 9,
    DnsHost = 10,
    DnsTxt = 11,
    DnsSrv = 12,
}

/// <summary>virNetworkUpdateFlags: which definition an update applies to.</summary>
[Flags]
public enum NetworkUpdateFlags : uint
{
    Current = 0,
    Live = 1 << 0,
    Config = 1 << 1,
}

/// <summary>A DHCP lease handed out by a libvirt network's dnsmasq (virNetworkDHCPLease).</summary>
public sealed record NetworkDhcpLease(
    string Interface,
    DateTimeOffset ExpiryTime,
    IPAddressType Type,
    string? MacAddress,
    string? Iaid,
    string IPAddress,
    uint Prefix,
    string? Hostname,
    string? ClientId);
