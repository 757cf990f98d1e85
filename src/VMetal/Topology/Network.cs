using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace VMetal.Topology;

/// <summary>One libvirt network.</summary>
/// <param name="Key">Key in the layout file (<c>net1</c>, <c>net2</c>, ...); what network overrides address.</param>
/// <param name="Name">Prefixed libvirt network name, e.g. <c>ab-management</c>.</param>
/// <param name="BaseName">Name in the layout, without prefix; what node interface lists refer to.</param>
/// <param name="BridgeName">Linux bridge (at most 15 characters); see <see cref="SafeNames.BridgeName"/>.</param>
public sealed record Network(
    string Key,
    string Name,
    string BaseName,
    Guid Uuid,
    string BridgeName,
    ForwardMode Forward,
    Ipv4Settings? Ipv4,
    Ipv6Settings? Ipv6,
    string? Domain,
    IReadOnlyList<DnsSrvRecord> DnsSrv,
    int? Mtu,
    bool Autostart);

/// <summary>How a network reaches the outside: isolated, NAT through the host, or an existing host bridge.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ForwardMode>))]
public enum ForwardMode
{
    None,
    Nat,
    Bridge,
}

/// <param name="Address">The host's address on the bridge (the guests' gateway).</param>
/// <param name="Hosts">Fixed DHCP leases: one per NIC of an OS node on this network.</param>
public sealed record Ipv4Settings(
    [property: JsonConverter(typeof(IPAddressJsonConverter))] IPAddress Address,
    int PrefixLength,
    DhcpRange? Dhcp,
    IReadOnlyList<DhcpHost> Hosts)
{
    [JsonConverter(typeof(IPAddressJsonConverter))]
    public IPAddress Netmask => AddressMath.Netmask(PrefixLength);

    [JsonIgnore]
    public IPNetwork Subnet => AddressMath.SubnetOf(Address, PrefixLength);
}

public sealed record Ipv6Settings(
    [property: JsonConverter(typeof(IPAddressJsonConverter))] IPAddress Address,
    int PrefixLength,
    DhcpRange? Dhcp)
{
    [JsonIgnore]
    public IPNetwork Subnet => AddressMath.SubnetOf(Address, PrefixLength);
}

public sealed record DhcpRange(
    [property: JsonConverter(typeof(IPAddressJsonConverter))] IPAddress Start,
    [property: JsonConverter(typeof(IPAddressJsonConverter))] IPAddress End);

public sealed record DhcpHost(
    string MacAddress,
    string Name,
    [property: JsonConverter(typeof(IPAddressJsonConverter))] IPAddress Address);

/// <summary>A DNS SRV record served by the network's dnsmasq.</summary>
public sealed record DnsSrvRecord(string Service, string Protocol, string? Domain, int? Port, string? Target);

/// <summary>Writes addresses as text ("172.16.0.1"); the default serializer would dump IPAddress' properties.</summary>
public sealed class IPAddressJsonConverter : JsonConverter<IPAddress>
{
    public override IPAddress Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        => IPAddress.Parse(reader.GetString() ?? throw new JsonException("expected an IP address"));

    public override void Write(Utf8JsonWriter writer, IPAddress value, JsonSerializerOptions options)
        => writer.WriteStringValue(value.ToString());
}
