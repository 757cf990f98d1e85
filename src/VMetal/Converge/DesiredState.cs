using VMetal.Rendering;
using VMetal.Topology;

namespace VMetal.Converge;

public sealed record DesiredNetwork(string Name, Guid Uuid, string Xml, string SpecHash, IReadOnlyList<DhcpHost> Hosts, Network Model);

/// <param name="Flags">storageVolCreateXML flags (metadata preallocation).</param>
public sealed record DesiredVolume(string Name, string Node, string Xml, uint Flags, string SpecHash, long CapacityBytes)
{
    /// <summary>Bytes uploaded into the volume after it is created (a NoCloud seed), or null for a disk.</summary>
    public byte[]? Content { get; init; }
}

/// <param name="StartOnCreate">Start it when it is created (OS nodes, or every node with --start).</param>
/// <param name="KeepRunning">Start it whenever it is found shut off (OS nodes: vmetal owns their power).</param>
public sealed record DesiredDomain(string Name, Guid Uuid, string Xml, string SpecHash, bool StartOnCreate, bool KeepRunning, Node Model);

/// <summary>What applying a network change does.</summary>
public sealed record NetworkWork(DesiredNetwork Network, bool Define, bool Start, bool Autostart);

/// <summary>What applying a domain change does.</summary>
public sealed record DomainWork(DesiredDomain Domain, bool Define, bool Start);

/// <summary>Everything a workspace should have on the host, rendered and fingerprinted.</summary>
public sealed record DesiredState(
    LabTopology Topology,
    string PoolXml,
    IReadOnlyList<DesiredNetwork> Networks,
    IReadOnlyList<DesiredVolume> Volumes,
    IReadOnlyList<DesiredDomain> Domains,
    IReadOnlyList<string> Warnings)
{
    /// <summary>Renders the topology with the host's choices (domain type, pool, consoles).</summary>
    /// <param name="startBareMetal">Bare-metal nodes are left off for Ironic unless asked (--start).</param>
    public static DesiredState From(LabTopology topology, RenderOptions options, bool startBareMetal)
    {
        var xml = new LibvirtXml(options);
        var prefix = topology.Prefix ?? string.Empty;
        var networks = topology.Networks.Select(network =>
        {
            var (stamped, hash) = SpecHash.StampNetwork(xml.Network(network), topology.Workspace, prefix);
            return new DesiredNetwork(network.Name, network.Uuid, stamped, hash, network.Ipv4?.Hosts ?? [], network);
        }).ToList();
        var volumes = topology.Nodes.SelectMany(node => node.Disks.Select(disk =>
        {
            var volumeXml = xml.Volume(disk);
            var flags = LibvirtXml.VolumeCreateFlags(disk);
            return new DesiredVolume(disk.VolumeName, node.Name, volumeXml, flags, SpecHash.OfVolume(volumeXml, flags), disk.SizeBytes);
        })).Concat(topology.Nodes.Where(LibvirtXml.HasSeed).Select(node =>
        {
            var seed = Images.NoCloudSeed.For(node, options.SeedAuthorizedKeys);
            var seedXml = LibvirtXml.SeedVolume(node, seed.Length);
            // The content is part of the fingerprint: a new key or host name replaces the seed.
            return new DesiredVolume(Images.NoCloudSeed.VolumeName(node.Name), node.Name, seedXml, 0,
                SpecHash.OfVolume(seedXml, 0) + SpecHash.OfBytes(seed), seed.Length) { Content = seed };
        })).ToList();
        var domains = topology.Nodes.Select(node =>
        {
            var (stamped, hash) = SpecHash.StampDomain(xml.Domain(topology, node));
            return new DesiredDomain(node.Name, node.Uuid, stamped, hash, node.DeployOs || startBareMetal, node.DeployOs, node);
        }).ToList();
        return new DesiredState(topology, xml.Pool(), networks, volumes, domains, xml.Warnings(topology));
    }
}
