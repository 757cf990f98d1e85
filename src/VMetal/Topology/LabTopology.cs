using System.Text.Json.Serialization;

namespace VMetal.Topology;

/// <summary>
/// A validated lab: every node (VM) and libvirt network that one workspace/prefix owns on a host.
/// Built only by <see cref="TopologyLoader"/>, so every instance has passed validation.
/// </summary>
public sealed record LabTopology(
    string Workspace,
    string? Prefix,
    NetworkOctets Octets,
    IReadOnlyList<Node> Nodes,
    IReadOnlyList<Network> Networks)
{
    /// <summary>Short SHA-256 fingerprint of everything above; stored in each domain's ownership metadata.</summary>
    public string Hash { get; init; } = "";

    public int TotalVCpus => Nodes.Sum(node => node.VCpus);

    public long TotalMemoryMiB => Nodes.Sum(node => (long)node.MemoryMiB);

    /// <summary>Sum of the virtual (thin) disk sizes; the host needs far less while disks are empty.</summary>
    public long TotalDiskBytes => Nodes.Sum(node => node.Disks.Sum(disk => disk.SizeBytes));

    /// <summary>The base images `up` must download, each once, with the disks built on them.</summary>
    [JsonIgnore]
    public IReadOnlyList<BaseImageSource> Images => [.. Nodes
        .SelectMany(node => node.Disks.Select(disk => (Node: node, Disk: disk)))
        .Where(item => item.Disk.BackingImageUrl is not null)
        .GroupBy(item => item.Disk.BackingImage!, StringComparer.Ordinal)
        .Select(group => new BaseImageSource(group.First().Disk.BackingImageUrl!, group.Key,
            [.. group.Select(item => new ImageUser(item.Node.Name, item.Disk.Name, item.Disk.SizeBytes))]))];
}

/// <summary>A base image to download (<see cref="Url"/>) to <see cref="HostPath"/>, and the disks that are overlays of it.</summary>
public sealed record BaseImageSource(Uri Url, string HostPath, IReadOnlyList<ImageUser> Users);

/// <summary>A disk built on a base image; it must be at least as large as the image.</summary>
public sealed record ImageUser(string Node, string Disk, long SizeBytes);

/// <summary>
/// The two third octets substituted for <c>{{ net }}</c> and <c>{{ data_net }}</c> in network layouts
/// (management/external use 172.16.NET.0/24 and 10.0.NET.0/24, the data plane 192.168.DATA_NET.0/24).
/// </summary>
public readonly record struct NetworkOctets(int Net, int DataNet)
{
    /// <summary>infrared's choice without a prefix: net=0, data_net=24.</summary>
    public static NetworkOctets Unprefixed { get; } = new(0, 24);

    /// <summary>
    /// infrared's choice for the first prefixed environment on a host (net=10, data_net=24). The
    /// converge engine picks octets that are free on the host instead; this is for host-less rendering.
    /// </summary>
    public static NetworkOctets FirstPrefixed { get; } = new(10, 24);

    public static NetworkOctets DefaultFor(string? prefix) => string.IsNullOrEmpty(prefix) ? Unprefixed : FirstPrefixed;
}
