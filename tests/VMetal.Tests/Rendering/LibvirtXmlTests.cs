using System.Xml.Linq;
using VMetal.Rendering;
using VMetal.Tests.Topology;
using VMetal.Topology;

namespace VMetal.Tests.Rendering;

public class LibvirtXmlTests
{
    private static async Task<(LabTopology Topology, LibvirtXml Renderer)> ReferenceAsync(RenderOptions? options = null, BootMode bootMode = BootMode.Bios)
    {
        var topology = await Topologies.LoadAsync(new TopologyRequest
        {
            NodeCounts = Topologies.Reference,
            Prefix = "ab",
            Workspace = "ws1",
            BootMode = bootMode,
            BaseImage = "/images/base.qcow2",
        });
        return (topology, new LibvirtXml(options ?? new RenderOptions()));
    }

    private static XElement Domain(LabTopology topology, LibvirtXml renderer, string name) =>
        XElement.Parse(renderer.Domain(topology, topology.Nodes.Single(node => node.Name == name)));

    [Fact]
    public async Task Domain_carries_ownership_metadata_in_vmetal_namespace()
    {
        var (topology, renderer) = await ReferenceAsync();
        var xml = renderer.Domain(topology, topology.Nodes[1]);

        Assert.Contains("<vmetal:owner xmlns:vmetal=\"https://vmetal.dev/xmlns/libvirt/v1\" workspace=\"ws1\" prefix=\"ab\" node=\"ab-controller-0\" " +
            $"type=\"controller\" topology-hash=\"{topology.Hash}\" />", xml, StringComparison.Ordinal);
        Assert.Equal(new VmetalOwner("ws1", "ab", "ab-controller-0", "controller", topology.Hash), VmetalMetadata.FromDomainXml(xml));
        Assert.Null(VmetalMetadata.FromDomainXml("<domain><name>foreign</name></domain>"));
    }

    [Fact]
    public async Task Bare_metal_domain_pxe_boots_the_provisioning_nic_then_disk()
    {
        var (topology, renderer) = await ReferenceAsync();
        var domain = Domain(topology, renderer, "ab-compute-1");
        var node = topology.Nodes.Single(candidate => candidate.Name == "ab-compute-1");

        Assert.Equal("kvm", domain.Attribute("type")?.Value);
        Assert.Equal(node.Uuid.ToString(), domain.Element("uuid")?.Value);
        Assert.Empty(domain.Element("os")!.Elements("boot"));
        var interfaces = domain.Descendants("interface").ToList();
        Assert.Equal(["ab-data", "ab-management", "ab-external"], interfaces.Select(nic => nic.Element("source")?.Attribute("network")?.Value));
        Assert.Equal(node.Nics.Select(nic => nic.MacAddress), interfaces.Select(nic => nic.Element("mac")?.Attribute("address")?.Value));
        Assert.Equal(["1", null, null], interfaces.Select(nic => nic.Element("boot")?.Attribute("order")?.Value));
        var disk = Assert.Single(domain.Descendants("disk"));
        Assert.Equal("2", disk.Element("boot")?.Attribute("order")?.Value);
        Assert.Equal("/var/lib/libvirt/images/ab-compute-1-disk1.qcow2", disk.Element("source")?.Attribute("file")?.Value);
        Assert.Equal("unsafe", disk.Element("driver")?.Attribute("cache")?.Value);
        Assert.Equal("yes", domain.Element("os")?.Element("bios")?.Attribute("useserial")?.Value);
        Assert.Equal("no", domain.Element("os")?.Element("bootmenu")?.Attribute("enable")?.Value);
    }

    [Fact]
    public async Task Os_domain_boots_its_overlay_disk_only()
    {
        var (topology, renderer) = await ReferenceAsync();
        var domain = Domain(topology, renderer, "ab-undercloud-0");

        Assert.All(domain.Descendants("interface"), nic => Assert.Null(nic.Element("boot")));
        Assert.Equal("1", domain.Descendants("disk").Single(disk => disk.Attribute("device")?.Value == "disk").Element("boot")?.Attribute("order")?.Value);
        // Its cloud-init seed is a read-only CD on the IDE bus (i440fx), never booted from.
        var seed = domain.Descendants("disk").Single(disk => disk.Attribute("device")?.Value == "cdrom");
        Assert.Equal("/var/lib/libvirt/images/ab-undercloud-0-seed.iso", seed.Element("source")?.Attribute("file")?.Value);
        Assert.Equal("ide", seed.Element("target")?.Attribute("bus")?.Value);
        Assert.NotNull(seed.Element("readonly"));
        Assert.Null(seed.Element("boot"));
        Assert.Equal("24576", domain.Element("memory")?.Value);
        Assert.Equal("8", domain.Element("vcpu")?.Value);
        Assert.Equal("host-passthrough", domain.Element("cpu")?.Attribute("mode")?.Value);
    }

    [Fact]
    public async Task Fixed_devices_and_lifecycle_are_always_present()
    {
        var (topology, renderer) = await ReferenceAsync();
        var domain = Domain(topology, renderer, "ab-controller-2");
        var devices = domain.Element("devices")!;

        Assert.Equal("destroy", domain.Element("on_poweroff")?.Value);
        Assert.Equal("restart", domain.Element("on_reboot")?.Value);
        Assert.Equal("none", devices.Element("memballoon")?.Attribute("model")?.Value);
        Assert.Equal("none", devices.Elements("controller").Single(controller => controller.Attribute("type")?.Value == "usb").Attribute("model")?.Value);
        Assert.Empty(devices.Elements("sound"));
        Assert.Equal("/dev/urandom", devices.Element("rng")?.Element("backend")?.Value);
        Assert.Equal("pty", devices.Element("serial")?.Attribute("type")?.Value);
        Assert.Null(devices.Element("serial")?.Element("log"));
        Assert.Equal("serial", devices.Element("console")?.Element("target")?.Attribute("type")?.Value);
        var graphics = devices.Element("graphics")!;
        Assert.Equal("127.0.0.1", graphics.Attribute("listen")?.Value);
        Assert.Null(graphics.Attribute("passwd"));
    }

    [Fact]
    public async Task Options_shape_serial_log_vnc_pool_and_firmware()
    {
        var options = new RenderOptions
        {
            SerialLogFiles = true,
            SerialLogDirectory = "/logs/",
            VncExternal = true,
            VncPassword = "pw",
            PoolPath = "/pool",
            UefiLoader = "/fw/CODE.fd",
            UefiVarsTemplate = "/fw/VARS.fd",
            NvramDirectory = "/nvram",
        };
        var (topology, renderer) = await ReferenceAsync(options, BootMode.Uefi);
        var controller = Domain(topology, renderer, "ab-controller-0");
        var undercloud = Domain(topology, renderer, "ab-undercloud-0");

        Assert.Equal("/logs/ab-controller-0-serial.log", controller.Descendants("log").Single().Attribute("file")?.Value);
        Assert.Equal("0.0.0.0", controller.Descendants("graphics").Single().Attribute("listen")?.Value);
        Assert.Equal("pw", controller.Descendants("graphics").Single().Attribute("passwd")?.Value);
        Assert.Equal("/pool/ab-controller-0-disk1.qcow2", controller.Descendants("disk").Single().Element("source")?.Attribute("file")?.Value);
        var os = controller.Element("os")!;
        Assert.Equal("/fw/CODE.fd", os.Element("loader")?.Value);
        Assert.Equal("pflash", os.Element("loader")?.Attribute("type")?.Value);
        Assert.Equal("/fw/VARS.fd", os.Element("nvram")?.Attribute("template")?.Value);
        Assert.Equal("/nvram/ab-controller-0_VARS.fd", os.Element("nvram")?.Value);
        Assert.Null(os.Element("bios"));
        Assert.Null(undercloud.Element("os")!.Element("loader"));
    }

    [Fact]
    public async Task Qemu_domains_replace_host_cpus_with_qemu64_and_say_so()
    {
        var (topology, renderer) = await ReferenceAsync(new RenderOptions { DomainType = DomainType.Qemu });
        var domain = Domain(topology, renderer, "ab-compute-0");

        Assert.Equal("qemu", domain.Attribute("type")?.Value);
        Assert.Equal("custom", domain.Element("cpu")?.Attribute("mode")?.Value);
        Assert.Equal("qemu64", domain.Element("cpu")?.Element("model")?.Value);
        var warning = Assert.Single(renderer.Warnings(topology));
        Assert.Contains("'host-passthrough'", warning, StringComparison.Ordinal);
        Assert.Empty(new LibvirtXml(new RenderOptions()).Warnings(topology));
    }

    [Fact]
    public async Task Scsi_disks_get_a_virtio_scsi_controller()
    {
        var topology = await Topologies.LoadAsync(new TopologyRequest { NodeCounts = "ceph:1", DiskBus = DiskBus.Scsi });
        var domain = XElement.Parse(new LibvirtXml(new RenderOptions()).Domain(topology, topology.Nodes[0]));

        Assert.Equal(["sda", "sdb", "sdc", "sdd", "sde", "sdf"], domain.Descendants("disk").Select(disk => disk.Element("target")?.Attribute("dev")?.Value));
        Assert.All(domain.Descendants("disk"), disk => Assert.Equal("scsi", disk.Element("target")?.Attribute("bus")?.Value));
        Assert.Equal("virtio-scsi", domain.Descendants("controller").Single(controller => controller.Attribute("type")?.Value == "scsi").Attribute("model")?.Value);
    }

    [Fact]
    public async Task Networks_render_forward_bridge_addresses_and_fixed_leases()
    {
        var (topology, renderer) = await ReferenceAsync();
        var data = XElement.Parse(renderer.Network(topology.Networks[0]));
        var management = XElement.Parse(renderer.Network(topology.Networks[1]));
        var external = XElement.Parse(renderer.Network(topology.Networks[2]));

        Assert.Null(data.Element("forward"));
        Assert.Null(data.Element("ip")?.Element("dhcp"));
        Assert.Equal("192.168.24.254", data.Element("ip")?.Attribute("address")?.Value);
        Assert.Equal("nat", management.Element("forward")?.Attribute("mode")?.Value);
        Assert.Equal(("ab-management", "off"), (management.Element("bridge")?.Attribute("name")?.Value, management.Element("bridge")?.Attribute("stp")?.Value));
        Assert.Equal("255.255.255.0", management.Element("ip")?.Attribute("netmask")?.Value);
        var range = management.Element("ip")!.Element("dhcp")!.Element("range")!;
        Assert.Equal(("172.16.10.2", "172.16.10.100"), (range.Attribute("start")?.Value, range.Attribute("end")?.Value));
        var host = management.Descendants("host").Single();
        Assert.Equal(
            (topology.Nodes[0].Nics[1].MacAddress, "ab-undercloud-0", "172.16.10.2"),
            (host.Attribute("mac")?.Value, host.Attribute("name")?.Value, host.Attribute("ip")?.Value));
        var ipv6 = external.Elements("ip").Single(ip => ip.Attribute("family")?.Value == "ipv6");
        Assert.Equal(("2001:db8:ca2:10::fe", "64"), (ipv6.Attribute("address")?.Value, ipv6.Attribute("prefix")?.Value));
        Assert.Equal(topology.Networks[1].Uuid.ToString(), management.Element("uuid")?.Value);
    }

    [Fact]
    public async Task Volumes_are_thin_qcow2_with_an_optional_backing_store()
    {
        var (topology, renderer) = await ReferenceAsync();
        var overlay = topology.Nodes[0].Disks[0];
        var blank = topology.Nodes[1].Disks[0];
        var overlayXml = XElement.Parse(renderer.Volume(overlay));
        var blankXml = XElement.Parse(renderer.Volume(blank));

        Assert.Equal("ab-undercloud-0-disk1.qcow2", overlayXml.Element("name")?.Value);
        Assert.Equal((100L << 30).ToString(System.Globalization.CultureInfo.InvariantCulture), overlayXml.Element("capacity")?.Value);
        Assert.Equal("bytes", overlayXml.Element("capacity")?.Attribute("unit")?.Value);
        Assert.Equal("0", overlayXml.Element("allocation")?.Value);
        Assert.Equal("qcow2", overlayXml.Element("target")?.Element("format")?.Attribute("type")?.Value);
        Assert.Equal("/images/base.qcow2", overlayXml.Element("backingStore")?.Element("path")?.Value);
        Assert.Null(blankXml.Element("backingStore"));
        Assert.Equal(0u, LibvirtXml.VolumeCreateFlags(overlay));
        Assert.Equal(LibvirtXml.VolumeCreatePreallocMetadata, LibvirtXml.VolumeCreateFlags(blank));
        Assert.Equal(1u, LibvirtXml.VolumeCreatePreallocMetadata);
    }

    [Fact]
    public async Task Fully_preallocated_volumes_allocate_their_capacity()
    {
        var topology = await Topologies.LoadAsync(new TopologyRequest
        {
            NodeCounts = "compute:1",
            ExtraVars = ["override.compute.disks.disk1.preallocation=full", "override.compute.disks.disk1.size=1G"],
        });
        var volume = XElement.Parse(new LibvirtXml(new RenderOptions()).Volume(topology.Nodes[0].Disks[0]));

        Assert.Equal("1073741824", volume.Element("allocation")?.Value);
        Assert.Equal(0u, LibvirtXml.VolumeCreateFlags(topology.Nodes[0].Disks[0]));
    }

    [Fact]
    public void Pool_is_a_dir_pool()
    {
        var renderer = new LibvirtXml(new RenderOptions { PoolName = "lab", PoolPath = "/srv/lab" });

        Assert.Equal("<pool type=\"dir\">\n  <name>lab</name>\n  <target>\n    <path>/srv/lab</path>\n  </target>\n</pool>\n", renderer.Pool());
    }

    [Fact]
    public async Task The_same_input_renders_byte_identical_documents()
    {
        var (firstTopology, firstRenderer) = await ReferenceAsync();
        var (secondTopology, secondRenderer) = await ReferenceAsync();
        var first = firstRenderer.RenderAll(firstTopology);
        var second = secondRenderer.RenderAll(secondTopology);

        Assert.Equal(first.Documents.Select(document => (document.FileName, document.Xml)), second.Documents.Select(document => (document.FileName, document.Xml)));
        Assert.Equal(
            ["network", "network", "network", "pool", "volume", "volume", "volume", "volume", "volume", "volume", "volume", "domain", "domain", "domain", "domain", "domain", "domain"],
            first.Documents.Select(document => document.Kind.ToString().ToLowerInvariant()));
    }
}
