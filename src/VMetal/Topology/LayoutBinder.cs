using System.Globalization;
using System.Net;
using System.Net.Sockets;
using VMetal.Topology.Yaml;

namespace VMetal.Topology;

/// <summary>Turns a network layout file (infrared's format) into a <see cref="LayoutDefinition"/>.</summary>
internal static class LayoutBinder
{
    private static readonly string[] LayoutKeys = ["networks", "nodes", "l3appliance_config", "cidrs"];

    // external_connectivity, dhcp.subnet_*, floating_ip: informational in infrared too (other plugins
    // read them). nic/stp describe a host bridge infrared would create; vmetal never creates one.
    private static readonly string[] NetworkKeys =
    [
        "name", "forward", "bridge", "ip_address", "netmask", "dhcp", "floating_ip", "external_connectivity", "ipv6",
        "domain", "dns", "mtu", "autostart", "nic", "stp", "virtualport_type", "portgroups", "ipv4_address", "ipv6_address",
    ];

    private static readonly string[] UnsupportedNetworkKeys = ["virtualport_type", "portgroups", "ipv4_address", "ipv6_address"];

    private static readonly string[] RangeKeys = ["start", "end"];

    public static LayoutDefinition? Bind(string name, YamlValue? root, NetworkOctets octets, Diagnostics diagnostics)
    {
        if (root is not YamlMap map)
        {
            if (root is not null)
                diagnostics.Add(root.Origin.Error($"network layout '{name}' must be a mapping with 'networks' and 'nodes', got {root.Describe()}"));
            return null;
        }
        var errorsBefore = diagnostics.Errors.Count;
        var reader = new MapReader(map, $"network layout '{name}'", diagnostics, LayoutKeys);
        foreach (var key in new[] { "l3appliance_config", "cidrs" })
        {
            if (reader.Value(key) is not null)
                diagnostics.Add(map.Find(key)!.KeyOrigin.Error($"'{key}' (Open vSwitch / BGP layouts) is not supported by vmetal"));
        }
        var networks = new List<NetworkDefinition>();
        foreach (var entry in reader.Mapping("networks", required: true)?.Entries ?? [])
        {
            if (BindNetwork(entry, octets, diagnostics) is { } network)
                networks.Add(network);
        }
        var attachments = new Dictionary<string, Attachment>(StringComparer.Ordinal);
        foreach (var entry in reader.Mapping("nodes")?.Entries ?? [])
        {
            if (entry.Value is not YamlMap nodeMap)
            {
                diagnostics.Add(entry.Value.Origin.Error($"nodes.{entry.Key} of network layout '{name}' must be a mapping with 'interfaces', got {entry.Value.Describe()}"));
                continue;
            }
            var nodeReader = new MapReader(nodeMap, $"nodes.{entry.Key} of network layout '{name}'", diagnostics, AttachmentBinder.AttachmentKeys);
            if (AttachmentBinder.Bind(nodeReader) is { } attachment)
                attachments[entry.Key] = attachment;
            else
                diagnostics.Add(nodeMap.Origin.Error($"nodes.{entry.Key} of network layout '{name}' has no 'interfaces' list"));
        }
        return diagnostics.Errors.Count > errorsBefore ? null : new LayoutDefinition(name, networks, attachments);
    }

    private static NetworkDefinition? BindNetwork(YamlEntry entry, NetworkOctets octets, Diagnostics diagnostics)
    {
        if (entry.Value is not YamlMap map)
        {
            diagnostics.Add(entry.Value.Origin.Error($"network '{entry.Key}' must be a mapping (name, ip_address, ...), got {entry.Value.Describe()}"));
            return null;
        }
        var subject = $"network '{entry.Key}'";
        var reader = new MapReader(map, subject, diagnostics, NetworkKeys);
        foreach (var key in UnsupportedNetworkKeys)
        {
            if (reader.Value(key) is not null)
                diagnostics.Add(map.Find(key)!.KeyOrigin.Error($"'{key}' (Open vSwitch networks) is not supported by vmetal"));
        }
        var name = reader.String("name", required: true);
        if (name is not null && !SafeNames.IsValidObjectName(name))
            diagnostics.Add(reader.OriginOf("name").Error(NodeDefinitionBinder.NameRule("network name", name)));
        var forward = NodeDefinitionBinder.Choice<ForwardMode>(reader, "forward") ?? ForwardMode.None;
        var bridge = reader.String("bridge");
        var ipv4 = Ipv4(reader, octets);
        var ipv6 = reader.Nested("ipv6", $"ipv6 of {subject}", ["ip_address", "prefix", "dhcp"]) is { } ipv6Reader
            ? Ipv6(ipv6Reader, octets)
            : null;
        var floating = reader.Nested("floating_ip", $"floating_ip of {subject}", RangeKeys) is { } floatingReader
            ? Range(floatingReader, octets, AddressFamily.InterNetwork)
            : null;
        reader.Bool("external_connectivity");
        reader.Bool("stp");
        reader.String("nic");
        var mtu = reader.Int("mtu", 68, 65535);
        var autostart = reader.Bool("autostart") ?? true;
        var domain = reader.String("domain");
        var srv = DnsSrv(reader, subject);
        if (name is null)
            return null;
        return new NetworkDefinition(
            entry.Key, name, reader.OriginOf("name"), forward, bridge, reader.OriginOf("bridge"),
            ipv4, ipv6, floating, domain, srv, mtu, autostart);
    }

    private static SubnetDefinition? Ipv4(MapReader reader, NetworkOctets octets)
    {
        var address = Address(reader, "ip_address", octets, AddressFamily.InterNetwork, out var inlinePrefix);
        if (address is null)
        {
            // Only a missing ip_address makes dhcp an orphan; an invalid one is reported already.
            if (reader.Value("ip_address") is null && reader.Value("dhcp") is { } orphanDhcp)
                reader.Diagnostics.Add(orphanDhcp.Origin.Error($"{reader.Subject} has dhcp but no ip_address"));
            return null;
        }
        int? prefix = inlinePrefix;
        if (reader.String("netmask") is { } maskText)
        {
            var expanded = OctetTemplate.Expand(maskText, octets, out var templateError);
            prefix = expanded is not null && IPAddress.TryParse(expanded, out var mask) ? AddressMath.PrefixLengthOf(mask) : null;
            if (prefix is null)
                reader.Diagnostics.Add(reader.OriginOf("netmask").Error(templateError ?? $"netmask '{maskText}' is not a valid IPv4 netmask"));
        }
        else if (inlinePrefix is null)
        {
            reader.Diagnostics.Add(reader.OriginOf("ip_address").Error($"{reader.Subject} has ip_address but no netmask"));
        }
        var dhcp = reader.Nested("dhcp", $"dhcp of {reader.Subject}", ["range", "subnet_cidr", "subnet_gateway"]) is { } dhcpReader
            ? dhcpReader.Nested("range", $"dhcp.range of {reader.Subject}", RangeKeys, required: true) is { } rangeReader
                ? Range(rangeReader, octets, AddressFamily.InterNetwork)
                : null
            : null;
        return prefix is null ? null : new SubnetDefinition(address, prefix.Value, reader.OriginOf("ip_address"), dhcp);
    }

    private static SubnetDefinition? Ipv6(MapReader reader, NetworkOctets octets)
    {
        var address = Address(reader, "ip_address", octets, AddressFamily.InterNetworkV6, out var inlinePrefix);
        var prefix = reader.Int("prefix", 1, 128) ?? inlinePrefix;
        if (address is not null && prefix is null)
            reader.Diagnostics.Add(reader.Map.Origin.Error($"{reader.Subject} has no prefix"));
        var dhcp = reader.Nested("dhcp", $"dhcp of {reader.Subject}", ["range"]) is { } dhcpReader
            ? dhcpReader.Nested("range", $"dhcp.range of {reader.Subject}", RangeKeys, required: true) is { } rangeReader
                ? Range(rangeReader, octets, AddressFamily.InterNetworkV6)
                : null
            : null;
        return address is null || prefix is null ? null : new SubnetDefinition(address, prefix.Value, reader.OriginOf("ip_address"), dhcp);
    }

    private static AddressRange? Range(MapReader reader, NetworkOctets octets, AddressFamily family)
    {
        var start = Address(reader, "start", octets, family, out _, required: true);
        var end = Address(reader, "end", octets, family, out _, required: true);
        return start is null || end is null ? null : new AddressRange(start, reader.OriginOf("start"), end, reader.OriginOf("end"));
    }

    /// <summary>Reads an address after octet substitution; "addr/len" is accepted and the length returned.</summary>
    private static IPAddress? Address(MapReader reader, string key, NetworkOctets octets, AddressFamily family, out int? prefixLength, bool required = false)
    {
        prefixLength = null;
        var text = reader.String(key, required);
        if (text is null)
            return null;
        var expanded = OctetTemplate.Expand(text.Trim(), octets, out var templateError);
        if (expanded is null)
        {
            reader.Diagnostics.Add(reader.OriginOf(key).Error(templateError!));
            return null;
        }
        var slash = expanded.IndexOf('/', StringComparison.Ordinal);
        if (slash >= 0)
        {
            if (!int.TryParse(expanded[(slash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var length)
                || length > AddressMath.Bits(family) || length < 1)
            {
                reader.Diagnostics.Add(reader.OriginOf(key).Error($"'{text}' has an invalid prefix length"));
                return null;
            }
            prefixLength = length;
            expanded = expanded[..slash];
        }
        var familyName = family == AddressFamily.InterNetwork ? "IPv4" : "IPv6";
        if (IPAddress.TryParse(expanded, out var address) && address.AddressFamily == family && IsCanonicalText(expanded, family))
            return address;
        reader.Diagnostics.Add(reader.OriginOf(key).Error($"{key} '{expanded}' is not an {familyName} address"));
        return null;
    }

    /// <summary>IPAddress.TryParse accepts "10.1" and "10" as IPv4; layouts must spell out four octets.</summary>
    private static bool IsCanonicalText(string text, AddressFamily family)
        => family != AddressFamily.InterNetwork || text.Split('.').Length == 4;

    private static List<DnsSrvRecord> DnsSrv(MapReader reader, string subject)
    {
        var records = new List<DnsSrvRecord>();
        var dns = reader.Nested("dns", $"dns of {subject}", ["srvs"]);
        foreach (var item in dns?.List("srvs")?.Items ?? [])
        {
            if (item is not YamlMap map)
            {
                reader.Diagnostics.Add(item.Origin.Error($"each dns.srvs entry of {subject} must be a mapping, got {item.Describe()}"));
                continue;
            }
            var srv = new MapReader(map, $"a dns.srvs entry of {subject}", reader.Diagnostics, ["name", "protocol", "domain", "port", "target"]);
            var service = srv.String("name", required: true);
            var protocol = srv.String("protocol", required: true);
            if (protocol is not null and not ("tcp" or "udp"))
                reader.Diagnostics.Add(srv.OriginOf("protocol").Error($"protocol '{protocol}' must be tcp or udp"));
            var port = srv.Int("port", 1, 65535);
            if (service is not null && protocol is not null)
                records.Add(new DnsSrvRecord(service, protocol, srv.String("domain"), port, srv.String("target")));
        }
        return records;
    }
}
