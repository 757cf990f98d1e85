using System.Net.Sockets;
using System.Numerics;
using System.Text.Json;
using VMetal.Topology.Yaml;

namespace VMetal.Topology;

/// <summary>
/// Counts node definitions out into named VMs on a layout's networks, derives names, MACs, UUIDs,
/// boot order and fixed DHCP leases, and checks everything that spans more than one field.
/// </summary>
internal sealed class TopologyBuilder(TopologyRequest request, NetworkOctets octets, Diagnostics diagnostics)
{
    /// <summary>A DNS label's limit: the name is the guest's host name.</summary>
    private const int MaxNodeNameLength = 63;

    private static readonly JsonSerializerOptions HashJson = new() { WriteIndented = false };

    private readonly HashSet<string> _macs = new(StringComparer.Ordinal);

    public LabTopology? Build(
        IReadOnlyList<(NodeGroup Group, NodeDefinition Definition)> groups,
        LayoutDefinition layout,
        IReadOnlyDictionary<string, string> renames)
    {
        var networks = BuildNetworks(layout);
        var nodes = BuildNodes(groups, layout, renames, networks);
        if (diagnostics.HasErrors)
            return null;
        var finished = AssignDhcpHosts(layout, networks, nodes);
        if (diagnostics.HasErrors)
            return null;
        var topology = new LabTopology(request.Workspace, NullIfEmpty(request.Prefix), octets, nodes, finished);
        return topology with { Hash = HashOf(topology) };
    }

    /// <summary>--image-url, already checked by the loader.</summary>
    private Uri? RequestImageUrl => request.BaseImageUrl is { } text && BaseImages.TryParseUrl(text, out var url, out _) ? url : null;

    private string Prefixed(string name) => string.IsNullOrEmpty(request.Prefix) ? name : $"{request.Prefix}-{name}";

    private static string? NullIfEmpty(string? text) => string.IsNullOrEmpty(text) ? null : text;

    private static string HashOf(LabTopology topology)
        => Convert.ToHexStringLower(Hashing.Sha256(JsonSerializer.Serialize(topology, HashJson)))[..16];

    // ---------------------------------------------------------------- networks

    private List<Network> BuildNetworks(LayoutDefinition layout)
    {
        var networks = new List<Network>();
        var bridges = new Dictionary<string, NetworkDefinition>(StringComparer.Ordinal);
        var seen = new Dictionary<string, NetworkDefinition>(StringComparer.Ordinal);
        foreach (var definition in layout.Networks)
        {
            if (seen.TryGetValue(definition.Name, out var first))
            {
                diagnostics.Add(definition.NameOrigin.Error($"network name '{definition.Name}' is already used by '{first.Key}' ({first.NameOrigin.Describe()})"));
                continue;
            }
            seen[definition.Name] = definition;
            var name = Prefixed(definition.Name);
            var bridge = BridgeFor(definition, name, bridges);
            CheckSubnet(definition, definition.Ipv4, "IPv4");
            CheckSubnet(definition, definition.Ipv6, "IPv6");
            CheckFloatingRange(definition);
            if (definition.Forward == ForwardMode.Bridge && (definition.Ipv4 is not null || definition.Ipv6 is not null))
            {
                diagnostics.Warn($"network '{definition.Name}' forwards to the existing host bridge '{bridge}': its addresses and DHCP " +
                    "belong to the host's bridge configuration, which vmetal does not change");
            }
            var routed = definition.Forward != ForwardMode.Bridge;
            networks.Add(new Network(
                definition.Key, name, definition.Name, NameBasedUuid.ForNetwork(request.Workspace, name), bridge, definition.Forward,
                routed && definition.Ipv4 is { } v4 ? new Ipv4Settings(v4.Address, v4.PrefixLength, Range(v4.Dhcp), []) : null,
                routed && definition.Ipv6 is { } v6 ? new Ipv6Settings(v6.Address, v6.PrefixLength, Range(v6.Dhcp)) : null,
                routed ? definition.Domain : null, routed ? definition.DnsSrv : [], definition.Mtu, definition.Autostart));
        }
        CheckOverlaps(layout.Networks.Where(network => network.Forward != ForwardMode.Bridge).ToList());
        return networks;
    }

    private static DhcpRange? Range(AddressRange? range) => range is null ? null : new DhcpRange(range.Start, range.End);

    /// <summary>
    /// A forward-bridge network attaches to an existing host bridge, named by <c>bridge</c> or the network's
    /// own (unprefixed) name: it is shared host infrastructure. Other networks get a libvirt-created bridge
    /// whose name is derived from the prefixed network name when the layout does not give one.
    /// </summary>
    private string BridgeFor(NetworkDefinition definition, string networkName, Dictionary<string, NetworkDefinition> bridges)
    {
        var explicitName = definition.Bridge ?? (definition.Forward == ForwardMode.Bridge ? definition.Name : null);
        string bridge;
        if (explicitName is not null)
        {
            var origin = definition.Bridge is null ? definition.NameOrigin : definition.BridgeOrigin;
            if (!SafeNames.IsValidInterfaceName(explicitName))
            {
                diagnostics.Add(origin.Error(explicitName.Length > SafeNames.MaxInterfaceNameLength
                    ? $"bridge name '{explicitName}' is {explicitName.Length} characters; Linux interface names have at most {SafeNames.MaxInterfaceNameLength}"
                    : $"bridge name '{explicitName}' is not a valid Linux interface name"));
            }
            if (bridges.TryGetValue(explicitName, out var other))
                diagnostics.Add(origin.Error($"bridge '{explicitName}' is also the bridge of network '{other.Name}'"));
            bridge = explicitName;
        }
        else
        {
            var attempt = 0;
            do
                bridge = SafeNames.BridgeName(networkName, attempt++);
            while (bridges.ContainsKey(bridge));
        }
        bridges[bridge] = definition;
        return bridge;
    }

    private void CheckSubnet(NetworkDefinition network, SubnetDefinition? subnet, string family)
    {
        if (subnet is null || network.Forward == ForwardMode.Bridge)
            return;
        var range = subnet.Subnet;
        var isIpv4 = subnet.Address.AddressFamily == AddressFamily.InterNetwork;
        var reserved = isIpv4 && subnet.PrefixLength <= 30
            ? new[] { range.BaseAddress, AddressMath.LastAddress(range) }
            : [range.BaseAddress];
        if (reserved.Any(address => address.Equals(subnet.Address)))
            diagnostics.Add(subnet.Origin.Error($"ip_address {subnet.Address} of network '{network.Name}' is the network or broadcast address of {range}"));
        if (subnet.Dhcp is not { } dhcp)
            return;
        var inside = true;
        foreach (var (address, origin, end) in new[] { (dhcp.Start, dhcp.StartOrigin, "start"), (dhcp.End, dhcp.EndOrigin, "end") })
        {
            if (!range.Contains(address))
            {
                diagnostics.Add(origin.Error($"DHCP range {end} {address} of network '{network.Name}' is outside its {family} subnet {range}"));
                inside = false;
            }
        }
        if (!inside)
            return;
        if (AddressMath.Compare(dhcp.Start, dhcp.End) > 0)
        {
            diagnostics.Add(dhcp.StartOrigin.Error($"DHCP range of network '{network.Name}' starts at {dhcp.Start}, after its end {dhcp.End}"));
            return;
        }
        foreach (var address in reserved.Prepend(subnet.Address))
        {
            if (AddressMath.Compare(dhcp.Start, address) <= 0 && AddressMath.Compare(address, dhcp.End) <= 0)
            {
                var what = address.Equals(subnet.Address) ? "the network's own (gateway) address" : "the network/broadcast address";
                diagnostics.Add(dhcp.StartOrigin.Error($"DHCP range {dhcp.Start}-{dhcp.End} of network '{network.Name}' contains {what} {address}"));
                return;
            }
        }
    }

    /// <summary>Floating IPs are OpenStack's to hand out, so they must sit in the subnet and stay clear of libvirt's DHCP.</summary>
    private void CheckFloatingRange(NetworkDefinition network)
    {
        if (network.FloatingRange is not { } floating || network.Ipv4 is not { } subnet || network.Forward == ForwardMode.Bridge)
            return;
        if (!subnet.Subnet.Contains(floating.Start) || !subnet.Subnet.Contains(floating.End))
        {
            diagnostics.Add(floating.StartOrigin.Error($"floating_ip range {floating.Start}-{floating.End} of network '{network.Name}' is outside its subnet {subnet.Subnet}"));
            return;
        }
        if (subnet.Dhcp is { } dhcp
            && AddressMath.Compare(floating.Start, dhcp.End) <= 0 && AddressMath.Compare(dhcp.Start, floating.End) <= 0)
        {
            diagnostics.Add(floating.StartOrigin.Error($"floating_ip range {floating.Start}-{floating.End} of network '{network.Name}' overlaps its DHCP range {dhcp.Start}-{dhcp.End}"));
        }
    }

    private void CheckOverlaps(List<NetworkDefinition> networks)
    {
        for (var later = 0; later < networks.Count; later++)
        {
            for (var earlier = 0; earlier < later; earlier++)
            {
                foreach (var (first, second) in new[] { (networks[earlier].Ipv4, networks[later].Ipv4), (networks[earlier].Ipv6, networks[later].Ipv6) })
                {
                    if (first is null || second is null || !AddressMath.Overlap(first.Subnet, second.Subnet))
                        continue;
                    diagnostics.Add(second.Origin.Error(
                        $"subnet {second.Subnet} of network '{networks[later].Name}' overlaps {first.Subnet} of network '{networks[earlier].Name}' ({first.Origin.Describe()})"));
                }
            }
        }
    }

    // ---------------------------------------------------------------- nodes

    private List<Node> BuildNodes(
        IReadOnlyList<(NodeGroup Group, NodeDefinition Definition)> groups,
        LayoutDefinition layout,
        IReadOnlyDictionary<string, string> renames,
        IReadOnlyList<Network> networks)
    {
        var nodes = new List<Node>();
        var owners = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (group, definition) in groups)
        {
            var nics = ResolveInterfaces(definition, group, layout, renames, networks);
            if (nics is null)
                continue;
            if (request.BootMode == BootMode.Uefi && definition.DeployOs)
                diagnostics.Warn($"node type '{definition.Type}' deploys an OS and boots with BIOS: --bootmode uefi applies to bare-metal nodes only, as in infrared");
            if (definition.DeployOs && request.BaseImage is null && request.BaseImageUrl is null && definition.ImportUrl is null
                && definition.Disks.FirstOrDefault()?.ImportUrl is null)
                diagnostics.Warn($"node type '{definition.Type}' deploys an OS but no --image-url (or --image) was given: its first disk is left blank");
            for (var index = 0; index < group.Count; index++)
            {
                var name = Prefixed($"{definition.Name}-{index}");
                // The node name is its guest host name (one DNS label) and part of its disk file names.
                if (name.Length > MaxNodeNameLength || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
                {
                    diagnostics.Add(group.Origin.Error(
                        $"node name '{(name.Length > 40 ? name[..40] + "…" : name)}' is not usable: at most {MaxNodeNameLength} letters, digits, '-', '_' and '.' (it becomes the host name and part of file names)"));
                    break;
                }
                if (owners.TryGetValue(name, out var owner))
                {
                    diagnostics.Add(group.Origin.Error($"node '{name}' would be created twice: node types '{owner}' and '{definition.Type}' both have name '{definition.Name}'"));
                    break;
                }
                owners[name] = definition.Type;
                nodes.Add(BuildNode(definition, index, name, nics));
            }
        }
        return nodes;
    }

    private sealed record ResolvedNics(IReadOnlyList<(Network Network, string Model)> Interfaces, Network? External, Network? Provision, int? PxeIndex);

    private ResolvedNics? ResolveInterfaces(
        NodeDefinition definition, NodeGroup group, LayoutDefinition layout, IReadOnlyDictionary<string, string> renames, IReadOnlyList<Network> networks)
    {
        // infrared looks the layout entry up by the *prefixed* node name, so with --prefix only
        // 'default' ever matched; vmetal uses the node file's own name, as the layouts intend.
        var fromLayout = layout.Attachments.GetValueOrDefault(definition.Name) ?? layout.Attachments.GetValueOrDefault(LayoutDefinition.DefaultAttachment);
        var own = definition.OwnAttachment;
        var attachment = own is { Interfaces.Count: > 0 } ? own : fromLayout;
        if (attachment is null)
        {
            diagnostics.Add(group.Origin.Error(
                $"network layout '{layout.Name}' has no interfaces for node type '{definition.Type}': add nodes.{definition.Name} or nodes.{LayoutDefinition.DefaultAttachment} to the layout"));
            return null;
        }
        var errorsBefore = diagnostics.Errors.Count;
        Network? Resolve(string reference, Origin origin, string what)
        {
            var name = renames.GetValueOrDefault(reference, reference);
            var network = networks.FirstOrDefault(candidate => candidate.BaseName == name);
            if (network is null)
            {
                var known = networks.Select(candidate => candidate.BaseName).ToList();
                diagnostics.Add(origin.Error(
                    $"{what} '{reference}' of node type '{definition.Type}' is not a network of layout '{layout.Name}'{Suggestions.DidYouMean(reference, known)} (networks: {string.Join(", ", known)})"));
            }
            return network;
        }
        var interfaces = attachment.Interfaces
            .Select(item => (Network: Resolve(item.Network, item.Origin, "interface network"), item.Model))
            .ToList();
        Network? Reference(NetworkReference? reference, string what)
        {
            if (reference is null || Resolve(reference.Network, reference.Origin, what) is not { } network)
                return null;
            if (interfaces.All(item => item.Network != network))
                diagnostics.Add(reference.Origin.Error($"{what} '{reference.Network}' of node type '{definition.Type}' is not one of its interfaces' networks"));
            return network;
        }
        var external = Reference(attachment.ExternalNetwork ?? own?.ExternalNetwork, "external_network");
        var provision = Reference(attachment.ProvisionNetwork ?? own?.ProvisionNetwork, "provision_network");
        if (diagnostics.Errors.Count > errorsBefore)
            return null;
        int? pxeIndex = null;
        if (!definition.DeployOs)
        {
            if (interfaces.Count == 0)
            {
                diagnostics.Add(group.Origin.Error($"bare-metal node type '{definition.Type}' (deploy_os: false) has no network interface to PXE-boot from"));
                return null;
            }
            // Ironic PXE-boots a node on its provisioning network: provision_network when the layout
            // names one, else the first NIC (the control-plane network in every shipped layout).
            pxeIndex = provision is null ? 0 : interfaces.FindIndex(item => item.Network == provision);
        }
        return new ResolvedNics(interfaces.Select(item => (item.Network!, item.Model)).ToList(), external, provision, pxeIndex);
    }

    private Node BuildNode(NodeDefinition definition, int index, string name, ResolvedNics resolved)
    {
        var nics = resolved.Interfaces
            .Select((item, nicIndex) => new NodeNic(nicIndex, item.Network.Name, item.Model, UniqueMac(name, nicIndex), nicIndex == resolved.PxeIndex ? 1 : null))
            .ToList();
        var deviceCounts = new Dictionary<DiskBus, int>();
        var disks = definition.Disks.Select((disk, diskIndex) =>
        {
            var bus = disk.Bus ?? request.DiskBus;
            var busIndex = deviceCounts.GetValueOrDefault(bus);
            deviceCounts[bus] = busIndex + 1;
            var isSystemDisk = diskIndex == 0;
            // The OS disk is a copy-on-write overlay of the base image; libvirt cannot preallocate an overlay.
            // Like infrared: the disk's import_url, else the node's, else --image-url (or vmetal's --image path).
            var url = disk.ImportUrl ?? (definition.DeployOs && isSystemDisk ? definition.ImportUrl ?? RequestImageUrl : null);
            var backing = url is not null ? BaseImages.CachePath(url) : definition.DeployOs && isSystemDisk ? request.BaseImage : null;
            int? bootOrder = isSystemDisk ? (definition.DeployOs ? 1 : 2) : null;
            return new NodeDisk(
                disk.Name, $"{name}-{disk.Name}.qcow2", disk.SizeBytes, bus, DeviceName(bus, busIndex), disk.Cache,
                backing is null ? disk.Preallocation : DiskPreallocation.Off, backing, bootOrder)
            {
                BackingImageUrl = url,
            };
        }).ToList();
        return new Node(
            name, definition.Type, definition.Name, index, NameBasedUuid.ForDomain(request.Workspace, name),
            definition.VCpus, definition.MemoryMiB, definition.DeployOs,
            definition.DeployOs ? BootMode.Bios : request.BootMode,
            definition.CpuModel, definition.MachineType, definition.OsVariant, disks, nics, definition.Groups,
            resolved.External?.Name, resolved.Provision?.Name);
    }

    private string UniqueMac(string nodeName, int nicIndex)
    {
        for (var attempt = 0; ; attempt++)
        {
            var mac = MacAddresses.Derive(request.Workspace, nodeName, nicIndex, attempt);
            if (_macs.Add(mac))
                return mac;
        }
    }

    /// <summary>Linux-style device names: vda, vdb, ... vdz, vdaa for virtio; sd* for SCSI/SATA; hd* for IDE.</summary>
    private static string DeviceName(DiskBus bus, int index)
    {
        var prefix = bus switch
        {
            DiskBus.Virtio => "vd",
            DiskBus.Ide => "hd",
            _ => "sd",
        };
        var letters = "";
        for (var value = index; value >= 0; value = value / 26 - 1)
            letters = (char)('a' + value % 26) + letters;
        return prefix + letters;
    }

    // ---------------------------------------------------------------- fixed DHCP leases

    /// <summary>
    /// Gives every NIC of an OS node on a network with IPv4 DHCP a fixed lease, in topology order,
    /// from the start of the range: the undercloud's address is known before it boots, and stays.
    /// Bare-metal nodes get none: their addresses belong to Ironic and the deployed OS.
    /// </summary>
    private List<Network> AssignDhcpHosts(LayoutDefinition layout, List<Network> networks, List<Node> nodes)
    {
        var result = new List<Network>();
        foreach (var network in networks)
        {
            if (network.Ipv4 is not { Dhcp: { } range } ipv4)
            {
                result.Add(network);
                continue;
            }
            var claims = nodes
                .Where(node => node.DeployOs)
                .SelectMany(node => node.Nics.Where(nic => nic.Network == network.Name).Select((nic, ordinal) => (node, nic, ordinal)))
                .ToList();
            var capacity = AddressMath.Count(range.Start, range.End);
            if (claims.Count > capacity)
            {
                var origin = layout.Networks.First(definition => definition.Key == network.Key).Ipv4!.Dhcp!.StartOrigin;
                diagnostics.Add(origin.Error(
                    $"DHCP range {range.Start}-{range.End} of network '{network.BaseName}' has {capacity} address(es), but {claims.Count} NICs of OS nodes need a fixed lease"));
                result.Add(network);
                continue;
            }
            var hosts = claims
                .Select((claim, position) => new DhcpHost(
                    claim.nic.MacAddress,
                    claim.ordinal == 0 ? claim.node.Name : $"{claim.node.Name}-nic{claim.nic.Index}",
                    AddressMath.Add(range.Start, new BigInteger(position))))
                .ToList();
            result.Add(network with { Ipv4 = ipv4 with { Hosts = hosts } });
        }
        return result;
    }
}
