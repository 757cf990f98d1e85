using VMetal.Catalog;
using VMetal.Topology.Yaml;

namespace VMetal.Topology;

/// <param name="Source">"built-in", or the path of the user file that defines (or shadows) it.</param>
/// <param name="DiskBytes">Sum of the virtual sizes of its disks.</param>
/// <param name="NodeName">The file's <c>name</c>: its VMs are <c>[prefix-]NodeName-index</c>. Some types share one
/// (tripleo and undercloud, cephext and ceph, compute_dvr and compute), so a lab uses one of them.</param>
public sealed record NodeTypeSummary(
    string Name, string Source, int VCpus, int MemoryMiB, int DiskCount, long DiskBytes, bool DeployOs, IReadOnlyList<string> Groups,
    string NodeName);

public sealed record LayoutSummary(string Name, string Source, IReadOnlyList<NetworkSummary> Networks);

/// <param name="Ipv4">Subnet in CIDR form, or null for a network without an IPv4 address.</param>
public sealed record NetworkSummary(string Name, ForwardMode Forward, string? Ipv4, string? Ipv6, bool Dhcp);

/// <summary>What <c>vmetal catalog</c> shows. Files that fail to load are reported in <see cref="Errors"/> and left out.</summary>
/// <param name="Unsupported">infrared's node types and layouts that vmetal refuses by name, with the reason.</param>
public sealed record CatalogListing(
    IReadOnlyList<NodeTypeSummary> NodeTypes, IReadOnlyList<LayoutSummary> Layouts, IReadOnlyList<TopologyError> Errors,
    IReadOnlyList<UnsupportedEntry> Unsupported);

/// <summary>Lists the node types and network layouts available by name: the user directory's, then the built-in ones.</summary>
public static class TopologyCatalog
{
    public const string BuiltInSource = "built-in";

    public static async Task<CatalogListing> ListAsync(string? topologyDirectory, CancellationToken cancellationToken)
    {
        var diagnostics = new Diagnostics();
        var sources = new TopologySources(topologyDirectory);
        var nodeTypes = new List<NodeTypeSummary>();
        foreach (var name in sources.Names(BuiltInCatalog.NodesFolder))
        {
            var file = await sources.NodeTypeAsync(name, Origin.FromArgument(name), diagnostics, cancellationToken);
            if (file is not null && NodeDefinitionBinder.Bind(name, file.Root, diagnostics) is { } definition)
            {
                nodeTypes.Add(new NodeTypeSummary(
                    name, SourceOf(file), definition.VCpus, definition.MemoryMiB, definition.Disks.Count,
                    definition.Disks.Sum(disk => disk.SizeBytes), definition.DeployOs, definition.Groups, definition.Name));
            }
        }
        var layouts = new List<LayoutSummary>();
        foreach (var name in sources.Names(BuiltInCatalog.NetworkFolder))
        {
            var file = await sources.LayoutAsync(name, Origin.FromArgument(name), diagnostics, cancellationToken);
            if (file is not null && LayoutBinder.Bind(name, file.Root, NetworkOctets.Unprefixed, diagnostics) is { } layout)
            {
                layouts.Add(new LayoutSummary(name, SourceOf(file), layout.Networks
                    .Select(network => new NetworkSummary(
                        network.Name, network.Forward, network.Ipv4?.Subnet.ToString(), network.Ipv6?.Subnet.ToString(),
                        network.Ipv4?.Dhcp is not null || network.Ipv6?.Dhcp is not null))
                    .ToList()));
            }
        }
        // A user file of a refused name is an ordinary type or layout, listed above.
        var unsupported = UnsupportedCatalog.All(UnsupportedCatalog.NodeType)
            .Where(entry => !nodeTypes.Any(type => type.Name == entry.Name))
            .Concat(UnsupportedCatalog.All(UnsupportedCatalog.Layout).Where(entry => !layouts.Any(layout => layout.Name == entry.Name)))
            .ToList();
        return new CatalogListing(nodeTypes, layouts, diagnostics.Errors, unsupported);
    }

    private static string SourceOf(SourceFile file)
        => file.DisplayPath.StartsWith(BuiltInCatalog.Scheme, StringComparison.Ordinal) ? BuiltInSource : file.DisplayPath;
}
