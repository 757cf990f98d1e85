using System.Net;
using VMetal.Topology.Yaml;

namespace VMetal.Topology;

// The bound (typed, per-field-located) form of the YAML files, before nodes are counted out and
// names are prefixed. Origins stay attached so cross-checks can still point at file:line:column.

/// <param name="Type">The file's base name (what overrides and --topology-nodes use).</param>
/// <param name="Interfaces">The node file's own interface list; null means "take them from the layout".</param>
internal sealed record NodeDefinition(
    string Type,
    string Name,
    int VCpus,
    int MemoryMiB,
    bool DeployOs,
    string CpuModel,
    string? MachineType,
    string? OsVariant,
    IReadOnlyList<DiskDefinition> Disks,
    Attachment? OwnAttachment,
    IReadOnlyList<string> Groups,
    Uri? ImportUrl = null);

/// <param name="Bus">Null: use the topology-wide default (--disk-bus).</param>
/// <param name="ImportUrl">infrared's per-disk <c>import_url</c>: the disk is an overlay of that image.</param>
internal sealed record DiskDefinition(string Name, long SizeBytes, DiskBus? Bus, string Cache, DiskPreallocation Preallocation, Uri? ImportUrl = null);

internal sealed record InterfaceDefinition(string Network, Origin Origin, string Model);

internal sealed record NetworkReference(string Network, Origin Origin);

/// <summary>Which networks a node is attached to: a layout's <c>nodes.&lt;name&gt;</c> entry, or a node file's own lists.</summary>
internal sealed record Attachment(
    IReadOnlyList<InterfaceDefinition> Interfaces,
    NetworkReference? ExternalNetwork,
    NetworkReference? ProvisionNetwork);

internal sealed record LayoutDefinition(
    string Name,
    IReadOnlyList<NetworkDefinition> Networks,
    IReadOnlyDictionary<string, Attachment> Attachments)
{
    public const string DefaultAttachment = "default";
}

internal sealed record NetworkDefinition(
    string Key,
    string Name,
    Origin NameOrigin,
    ForwardMode Forward,
    string? Bridge,
    Origin BridgeOrigin,
    SubnetDefinition? Ipv4,
    SubnetDefinition? Ipv6,
    AddressRange? FloatingRange,
    string? Domain,
    IReadOnlyList<DnsSrvRecord> DnsSrv,
    int? Mtu,
    bool Autostart);

internal sealed record SubnetDefinition(IPAddress Address, int PrefixLength, Origin Origin, AddressRange? Dhcp)
{
    public IPNetwork Subnet => AddressMath.SubnetOf(Address, PrefixLength);
}

internal sealed record AddressRange(IPAddress Start, Origin StartOrigin, IPAddress End, Origin EndOrigin);
