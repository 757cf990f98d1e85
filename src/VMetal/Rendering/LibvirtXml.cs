using System.Globalization;
using System.Text;
using System.Xml;
using System.Xml.Linq;
using VMetal.Topology;

namespace VMetal.Rendering;

/// <summary>
/// The libvirt XML for a topology: domains, networks, the storage pool and volumes. Elements and
/// attributes are always written in the same order, so the same input gives byte-identical text
/// (and the converge engine can compare what it would define with what it defined before).
/// </summary>
public sealed class LibvirtXml(RenderOptions options)
{
    /// <summary>VIR_STORAGE_VOL_CREATE_PREALLOC_METADATA: the storageVolCreateXML flag for metadata preallocation.</summary>
    public const uint VolumeCreatePreallocMetadata = 1;

    /// <summary>What QEMU's TCG emulator is given instead of a host CPU it cannot pass through.</summary>
    public const string EmulatedCpuModel = "qemu64";

    private static readonly XmlWriterSettings WriterSettings = new()
    {
        OmitXmlDeclaration = true,
        Indent = true,
        IndentChars = "  ",
        NewLineChars = "\n",
        NewLineHandling = NewLineHandling.Replace,
    };

    public RenderOptions Options { get; } = options;

    /// <summary>Every document of the topology: networks, the pool, then each node's volumes and domain.</summary>
    public RenderedTopology RenderAll(LabTopology topology)
    {
        var documents = new List<RenderedDocument>();
        documents.AddRange(topology.Networks.Select(network => new RenderedDocument(XmlObjectKind.Network, network.Name, Network(network))));
        documents.Add(new RenderedDocument(XmlObjectKind.Pool, Options.PoolName, Pool()));
        foreach (var node in topology.Nodes)
        {
            documents.AddRange(node.Disks.Select(disk => new RenderedDocument(XmlObjectKind.Volume, disk.VolumeName, Volume(disk))));
            if (HasSeed(node))
            {
                var seed = Images.NoCloudSeed.For(node, Options.SeedAuthorizedKeys);
                documents.Add(new RenderedDocument(XmlObjectKind.Volume, Images.NoCloudSeed.VolumeName(node.Name), SeedVolume(node, seed.Length)));
            }
        }
        documents.AddRange(topology.Nodes.Select(node => new RenderedDocument(XmlObjectKind.Domain, node.Name, Domain(topology, node))));
        return new RenderedTopology(documents, Warnings(topology));
    }

    /// <summary>Things the caller should tell the user, e.g. CPU models TCG cannot provide.</summary>
    public IReadOnlyList<string> Warnings(LabTopology topology)
    {
        var replaced = topology.Nodes
            .Where(node => EffectiveCpuModel(node.CpuModel) != node.CpuModel)
            .GroupBy(node => node.CpuModel)
            .Select(group => $"domain type qemu (no hardware virtualisation): CPU model '{group.Key}' of node types " +
                $"{string.Join(", ", group.Select(node => node.Type).Distinct())} is impossible under TCG; using '{EmulatedCpuModel}' " +
                "(no nested virtualisation)");
        return replaced.ToList();
    }

    public string Domain(LabTopology topology, Node node)
    {
        var owner = new VmetalOwner(topology.Workspace, topology.Prefix ?? "", node.Name, node.Type, topology.Hash);
        var domain = new XElement("domain",
            new XAttribute("type", Options.DomainType == DomainType.Kvm ? "kvm" : "qemu"),
            new XElement("name", node.Name),
            new XElement("uuid", node.Uuid),
            new XElement("metadata", VmetalMetadata.OwnerElement(owner)),
            new XElement("memory", new XAttribute("unit", "MiB"), node.MemoryMiB),
            new XElement("currentMemory", new XAttribute("unit", "MiB"), node.MemoryMiB),
            new XElement("vcpu", new XAttribute("placement", "static"), node.VCpus),
            OperatingSystem(node),
            new XElement("features", new XElement("acpi"), new XElement("apic")),
            Cpu(node.CpuModel),
            new XElement("clock", new XAttribute("offset", "utc")),
            new XElement("on_poweroff", "destroy"),
            new XElement("on_reboot", "restart"),
            new XElement("on_crash", "destroy"),
            Devices(node));
        return Serialize(domain);
    }

    public string Network(Network network)
    {
        var element = new XElement("network",
            new XElement("name", network.Name),
            new XElement("uuid", network.Uuid),
            network.Forward == ForwardMode.None ? null : new XElement("forward", new XAttribute("mode", network.Forward == ForwardMode.Nat ? "nat" : "bridge")),
            // STP off: with STP on, libvirt port operations stall and Ironic introspection fails (RHBZ 2061776).
            network.Forward == ForwardMode.Bridge
                ? new XElement("bridge", new XAttribute("name", network.BridgeName))
                : new XElement("bridge", new XAttribute("name", network.BridgeName), new XAttribute("stp", "off"), new XAttribute("delay", "0")),
            network.Mtu is { } mtu ? new XElement("mtu", new XAttribute("size", mtu)) : null,
            network.Domain is { } domain ? new XElement("domain", new XAttribute("name", domain), new XAttribute("localOnly", "yes")) : null,
            network.DnsSrv.Count == 0 ? null : new XElement("dns", network.DnsSrv.Select(Srv)),
            network.Ipv4 is { } ipv4
                ? new XElement("ip",
                    new XAttribute("address", ipv4.Address),
                    new XAttribute("netmask", ipv4.Netmask),
                    Dhcp(ipv4.Dhcp, ipv4.Hosts))
                : null,
            network.Ipv6 is { } ipv6
                ? new XElement("ip",
                    new XAttribute("family", "ipv6"),
                    new XAttribute("address", ipv6.Address),
                    new XAttribute("prefix", ipv6.PrefixLength),
                    Dhcp(ipv6.Dhcp, []))
                : null);
        return Serialize(element);
    }

    public string Pool() => Serialize(new XElement("pool",
        new XAttribute("type", "dir"),
        new XElement("name", Options.PoolName),
        new XElement("target", new XElement("path", Options.PoolPath))));

    /// <summary>
    /// A qcow2 volume: thin (allocation 0) unless the definition asks for full/falloc preallocation.
    /// Metadata preallocation is not expressible in the XML: pass <see cref="VolumeCreateFlags"/> to storageVolCreateXML.
    /// </summary>
    public string Volume(NodeDisk disk)
    {
        var allocation = disk.Preallocation is DiskPreallocation.Full or DiskPreallocation.Falloc ? disk.SizeBytes : 0;
        return Serialize(new XElement("volume",
            new XAttribute("type", "file"),
            new XElement("name", disk.VolumeName),
            new XElement("capacity", new XAttribute("unit", "bytes"), disk.SizeBytes),
            new XElement("allocation", new XAttribute("unit", "bytes"), allocation),
            new XElement("target", new XElement("format", new XAttribute("type", disk.Format))),
            disk.BackingImage is { } backing
                ? new XElement("backingStore", new XElement("path", backing), new XElement("format", new XAttribute("type", "qcow2")))
                : null));
    }

    /// <summary>Flags for libvirt's storageVolCreateXML when creating <paramref name="disk"/>.</summary>
    public static uint VolumeCreateFlags(NodeDisk disk) => disk.Preallocation == DiskPreallocation.Metadata ? VolumeCreatePreallocMetadata : 0;

    /// <summary>host-passthrough/host-model need KVM; under TCG they become <see cref="EmulatedCpuModel"/>.</summary>
    public string EffectiveCpuModel(string cpuModel)
        => Options.DomainType == DomainType.Qemu && cpuModel is "host-passthrough" or "host-model" ? EmulatedCpuModel : cpuModel;

    private XElement OperatingSystem(Node node)
    {
        var uefi = node.BootMode == BootMode.Uefi;
        return new XElement("os",
            new XElement("type",
                new XAttribute("arch", "x86_64"),
                node.MachineType is { } machine ? new XAttribute("machine", machine) : null,
                "hvm"),
            uefi ? new XElement("loader", new XAttribute("readonly", "yes"), new XAttribute("type", "pflash"), Options.UefiLoader) : null,
            uefi ? new XElement("nvram", new XAttribute("template", Options.UefiVarsTemplate), Options.NvramPath(node.Name)) : null,
            new XElement("bootmenu", new XAttribute("enable", "no")),
            // SeaBIOS prints to the serial console, so PXE attempts show up in the serial log.
            uefi ? null : new XElement("bios", new XAttribute("useserial", "yes")));
    }

    private XElement Cpu(string cpuModel)
    {
        var model = EffectiveCpuModel(cpuModel);
        return model is "host-passthrough" or "host-model"
            ? new XElement("cpu", new XAttribute("mode", model), new XAttribute("check", "none"))
            : new XElement("cpu",
                new XAttribute("mode", "custom"),
                new XAttribute("match", "exact"),
                new XAttribute("check", "none"),
                new XElement("model", new XAttribute("fallback", "allow"), model));
    }

    private XElement Devices(Node node)
    {
        var listen = Options.VncExternal ? "0.0.0.0" : "127.0.0.1";
        return new XElement("devices",
            node.Disks.Select(Disk),
            SeedCdrom(node),
            node.Disks.Any(disk => disk.Bus == DiskBus.Scsi)
                ? new XElement("controller", new XAttribute("type", "scsi"), new XAttribute("index", 0), new XAttribute("model", "virtio-scsi"))
                : null,
            new XElement("controller", new XAttribute("type", "usb"), new XAttribute("model", "none")),
            node.Nics.Select(Interface),
            new XElement("serial",
                new XAttribute("type", "pty"),
                Options.SerialLogFiles ? new XElement("log", new XAttribute("file", Options.SerialLogPath(node.Name)), new XAttribute("append", "on")) : null,
                new XElement("target", new XAttribute("port", 0))),
            new XElement("console", new XAttribute("type", "pty"), new XElement("target", new XAttribute("type", "serial"), new XAttribute("port", 0))),
            new XElement("graphics",
                new XAttribute("type", "vnc"),
                new XAttribute("port", -1),
                new XAttribute("autoport", "yes"),
                new XAttribute("listen", listen),
                Options.VncPassword is { } password ? new XAttribute("passwd", password) : null,
                new XElement("listen", new XAttribute("type", "address"), new XAttribute("address", listen))),
            new XElement("rng", new XAttribute("model", "virtio"), new XElement("backend", new XAttribute("model", "random"), "/dev/urandom")),
            new XElement("memballoon", new XAttribute("model", "none")));
    }

    /// <summary>
    /// Disks are <c>type='file'</c> with the pool directory's path rather than <c>type='volume'</c>: the
    /// domain then starts even when the pool is inactive, and tools that read the XML see a plain path.
    /// </summary>
    private XElement Disk(NodeDisk disk) => new("disk",
        new XAttribute("type", "file"),
        new XAttribute("device", "disk"),
        new XElement("driver",
            new XAttribute("name", "qemu"),
            new XAttribute("type", disk.Format),
            new XAttribute("cache", disk.Cache),
            new XAttribute("discard", "unmap")),
        new XElement("source", new XAttribute("file", Options.DiskPath(disk))),
        new XElement("target", new XAttribute("dev", disk.TargetDevice), new XAttribute("bus", disk.Bus.ToString().ToLowerInvariant())),
        BootOrder(disk.BootOrder));

    /// <summary>
    /// OS nodes built on a base image get cloud-init's NoCloud seed (<see cref="Images.NoCloudSeed"/>) as a read-only
    /// CD: on the SATA bus of q35 machines, else IDE (i440fx has no SATA), at the first free device name.
    /// </summary>
    private XElement? SeedCdrom(Node node)
    {
        if (!HasSeed(node))
            return null;
        var sata = node.MachineType?.Contains("q35", StringComparison.Ordinal) ?? false;
        var prefix = sata ? "sd" : "hd";
        var taken = node.Disks.Select(disk => disk.TargetDevice).ToHashSet(StringComparer.Ordinal);
        var device = Enumerable.Range('a', 26).Select(letter => prefix + (char)letter).First(name => !taken.Contains(name));
        return new XElement("disk",
            new XAttribute("type", "file"),
            new XAttribute("device", "cdrom"),
            new XElement("driver", new XAttribute("name", "qemu"), new XAttribute("type", "raw")),
            new XElement("source", new XAttribute("file", Options.VolumePath(Images.NoCloudSeed.VolumeName(node.Name)))),
            new XElement("target", new XAttribute("dev", device), new XAttribute("bus", sata ? "sata" : "ide")),
            new XElement("readonly"));
    }

    /// <summary>Whether <paramref name="node"/> boots a base image and so gets a NoCloud seed volume and CD.</summary>
    public static bool HasSeed(Node node) => node.DeployOs && node.Disks.FirstOrDefault()?.BackingImage is not null;

    /// <summary>The seed's volume: a raw file of exactly the ISO's size, its content uploaded after creation.</summary>
    public static string SeedVolume(Node node, long sizeBytes) => Serialize(new XElement("volume",
        new XAttribute("type", "file"),
        new XElement("name", Images.NoCloudSeed.VolumeName(node.Name)),
        new XElement("capacity", new XAttribute("unit", "bytes"), sizeBytes),
        new XElement("allocation", new XAttribute("unit", "bytes"), 0),
        new XElement("target", new XElement("format", new XAttribute("type", "raw")))));

    private static XElement Interface(NodeNic nic) => new("interface",
        new XAttribute("type", "network"),
        new XElement("mac", new XAttribute("address", nic.MacAddress)),
        new XElement("source", new XAttribute("network", nic.Network)),
        new XElement("model", new XAttribute("type", nic.Model)),
        BootOrder(nic.BootOrder));

    /// <summary>Per-device boot order (not &lt;os&gt;&lt;boot dev=…&gt;), which a virtual BMC can rewrite device by device.</summary>
    private static XElement? BootOrder(int? order) => order is { } value ? new XElement("boot", new XAttribute("order", value)) : null;

    private static XElement? Dhcp(DhcpRange? range, IReadOnlyList<DhcpHost> hosts) => range is null
        ? null
        : new XElement("dhcp",
            new XElement("range", new XAttribute("start", range.Start), new XAttribute("end", range.End)),
            hosts.Select(host => new XElement("host",
                new XAttribute("mac", host.MacAddress),
                new XAttribute("name", host.Name),
                new XAttribute("ip", host.Address))));

    private static XElement Srv(DnsSrvRecord srv) => new("srv",
        new XAttribute("service", srv.Service),
        new XAttribute("protocol", srv.Protocol),
        srv.Domain is { } domain ? new XAttribute("domain", domain) : null,
        srv.Target is { } target ? new XAttribute("target", target) : null,
        srv.Port is { } port ? new XAttribute("port", port.ToString(CultureInfo.InvariantCulture)) : null);

    private static string Serialize(XElement element)
    {
        var builder = new StringBuilder();
        using (var writer = XmlWriter.Create(builder, WriterSettings))
            element.Save(writer);
        return builder.Append('\n').ToString();
    }
}

public enum XmlObjectKind
{
    Domain,
    Network,
    Pool,
    Volume,
}

/// <summary>One XML document; <see cref="FileName"/> is how <c>vmetal render --xml-dir</c> names it.</summary>
public sealed record RenderedDocument(XmlObjectKind Kind, string Name, string Xml)
{
    public string FileName => $"{Kind.ToString().ToLowerInvariant()}-{Name}.xml";

    /// <summary>The schema name virt-xml-validate takes for this document.</summary>
    public string SchemaName => Kind switch
    {
        XmlObjectKind.Domain => "domain",
        XmlObjectKind.Network => "network",
        XmlObjectKind.Pool => "storagepool",
        _ => "storagevol",
    };
}

public sealed record RenderedTopology(IReadOnlyList<RenderedDocument> Documents, IReadOnlyList<string> Warnings);
