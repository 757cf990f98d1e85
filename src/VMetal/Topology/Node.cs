using System.Text.Json.Serialization;

namespace VMetal.Topology;

/// <summary>One VM, named <c>[&lt;prefix&gt;-]&lt;name&gt;-&lt;index&gt;</c>.</summary>
/// <param name="Name">libvirt domain name, e.g. <c>ab-controller-2</c>.</param>
/// <param name="Type">Base name of the node definition file, e.g. <c>compute_dvr</c>; what overrides address.</param>
/// <param name="BaseName">The file's <c>name:</c> field without prefix or index, e.g. <c>compute</c>.</param>
/// <param name="Index">0-based index within its node type.</param>
/// <param name="DeployOs">True: the VM boots a cloud image overlay. False: a blank "bare-metal" machine that PXE-boots.</param>
/// <param name="CpuModel"><c>host-passthrough</c>, <c>host-model</c> or a named QEMU CPU model.</param>
/// <param name="MachineType">QEMU machine type (<c>q35</c>, ...), or null for libvirt's default.</param>
/// <param name="ExternalNetwork">Network (prefixed name) whose address the inventory uses, if any.</param>
/// <param name="ProvisionNetwork">Network (prefixed name) the node is provisioned/PXE-booted on, if named in the layout.</param>
/// <param name="Groups">Ansible inventory groups.</param>
public sealed record Node(
    string Name,
    string Type,
    string BaseName,
    int Index,
    Guid Uuid,
    int VCpus,
    int MemoryMiB,
    bool DeployOs,
    BootMode BootMode,
    string CpuModel,
    string? MachineType,
    string? OsVariant,
    IReadOnlyList<NodeDisk> Disks,
    IReadOnlyList<NodeNic> Nics,
    IReadOnlyList<string> Groups,
    string? ExternalNetwork,
    string? ProvisionNetwork)
{
    /// <summary>The NIC the firmware tries first, or null for OS nodes (they boot from disk).</summary>
    [JsonIgnore]
    public NodeNic? PxeNic => Nics.FirstOrDefault(nic => nic.BootOrder is not null);
}

/// <summary>One qcow2 volume of a node, in the node file's order.</summary>
/// <param name="Name">Key in the node file (<c>disk1</c>, <c>disk2</c>, ...).</param>
/// <param name="VolumeName">Storage volume (file) name in the pool: <c>&lt;domain&gt;-&lt;disk&gt;.qcow2</c>.</param>
/// <param name="TargetDevice">Guest device name, e.g. <c>vda</c> or <c>sdb</c>.</param>
/// <param name="Cache">QEMU cache mode (<c>unsafe</c> in every shipped file: lab disks need speed, not durability).</param>
/// <param name="BackingImage">Host path of the base image for OS disks (the disk is a copy-on-write overlay), or null for a blank disk.</param>
/// <param name="BootOrder">Per-device boot order, or null when the disk is not bootable.</param>
public sealed record NodeDisk(
    string Name,
    string VolumeName,
    long SizeBytes,
    DiskBus Bus,
    string TargetDevice,
    string Cache,
    DiskPreallocation Preallocation,
    string? BackingImage,
    int? BootOrder)
{
    public string Format => "qcow2";

    /// <summary>Where <see cref="BackingImage"/> is downloaded from (--image-url, import_url), or null for a path on the host.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public Uri? BackingImageUrl { get; init; }
}

/// <summary>One NIC, in layout order (eth0, eth1, ...).</summary>
/// <param name="Network">Prefixed libvirt network name.</param>
/// <param name="MacAddress">Deterministic <c>52:54:00:xx:xx:xx</c>; see <see cref="MacAddresses"/>.</param>
/// <param name="BootOrder">1 on the PXE NIC of bare-metal nodes, else null.</param>
public sealed record NodeNic(int Index, string Network, string Model, string MacAddress, int? BootOrder);

[JsonConverter(typeof(JsonStringEnumConverter<BootMode>))]
public enum BootMode
{
    Bios,
    Uefi,
}

[JsonConverter(typeof(JsonStringEnumConverter<DiskBus>))]
public enum DiskBus
{
    Virtio,
    Scsi,
    Sata,
    Ide,
}

/// <summary>qemu-img preallocation. Metadata is what libvirt's VIR_STORAGE_VOL_CREATE_PREALLOC_METADATA flag asks for.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<DiskPreallocation>))]
public enum DiskPreallocation
{
    Off,
    Metadata,
    Falloc,
    Full,
}
