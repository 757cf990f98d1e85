using System.Xml.Linq;
using VMetal.Converge;

namespace VMetal.Tests.Converge;

/// <summary>"definition changed" says what changed: the fields vmetal sets, read alike from its XML and from libvirt's.</summary>
public sealed class DefinitionFieldsTests
{
    private static string Domain(int memoryMiB = 512, int vcpu = 1, int nics = 2, string bus = "virtio") => $"""
        <domain type="qemu">
          <name>n</name>
          <memory unit="MiB">{memoryMiB}</memory>
          <vcpu placement="static">{vcpu}</vcpu>
          <os><type arch="x86_64">hvm</type></os>
          <cpu mode="custom" match="exact"><model fallback="allow">qemu64</model></cpu>
          <devices>
            <disk type="file" device="disk"><driver name="qemu" type="qcow2"/><source file="/p/n-disk1.qcow2"/><target dev="vda" bus="{bus}"/><boot order="2"/></disk>
            {string.Concat(Enumerable.Range(1, nics).Select(i => $"<interface type=\"network\"><mac address=\"52:54:00:00:00:0{i}\"/><source network=\"net{i}\"/><model type=\"virtio\"/></interface>"))}
            <graphics type="vnc" port="-1" autoport="yes" listen="127.0.0.1"><listen type="address" address="127.0.0.1"/></graphics>
          </devices>
        </domain>
        """;

    /// <summary>What libvirt returns for <see cref="Domain"/>: KiB, machine type, PCI addresses, aliases, its own defaults.</summary>
    private const string LibvirtDomain = """
        <domain type='qemu'>
          <name>n</name>
          <uuid>2a5791df-c68b-59a9-b9b7-56d7e8e0eb69</uuid>
          <memory unit='KiB'>524288</memory>
          <currentMemory unit='KiB'>524288</currentMemory>
          <vcpu placement='static'>1</vcpu>
          <os><type arch='x86_64' machine='pc-i440fx-7.2'>hvm</type></os>
          <cpu mode='custom' match='exact' check='partial'><model fallback='allow'>qemu64</model></cpu>
          <devices>
            <emulator>/usr/bin/qemu-system-x86_64</emulator>
            <disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='/p/n-disk1.qcow2'/><target dev='vda' bus='virtio'/><boot order='2'/>
              <address type='pci' domain='0x0000' bus='0x00' slot='0x04' function='0x0'/></disk>
            <controller type='pci' index='0' model='pci-root'/>
            <interface type='network'><mac address='52:54:00:00:00:01'/><source network='net1'/><model type='virtio'/>
              <address type='pci' domain='0x0000' bus='0x00' slot='0x03' function='0x0'/></interface>
            <interface type='network'><mac address='52:54:00:00:00:02'/><source network='net2'/><model type='virtio'/></interface>
            <input type='mouse' bus='ps2'/>
            <graphics type='vnc' port='-1' autoport='yes' listen='127.0.0.1'><listen type='address' address='127.0.0.1'/></graphics>
          </devices>
        </domain>
        """;

    private static IReadOnlyList<FieldChange> DiffDomains(string actual, string desired) =>
        DefinitionFields.Diff(DefinitionFields.OfDomain(XElement.Parse(actual)), DefinitionFields.OfDomain(XElement.Parse(desired)));

    [Fact]
    public void Libvirts_defaults_and_units_are_no_change()
    {
        Assert.Empty(DiffDomains(LibvirtDomain, Domain()));
    }

    [Fact]
    public void Memory_vcpus_and_a_new_nic_are_named_with_their_values()
    {
        var changes = DiffDomains(LibvirtDomain, Domain(memoryMiB: 1024, vcpu: 2, nics: 3));

        Assert.Equal("definition changed: memory 512 MiB → 1024 MiB, vcpu 1 → 2, nic 3 added", DefinitionFields.Describe(changes));
        Assert.Equal(new FieldChange("nic 3", null, "network net3, mac 52:54:00:00:00:03, model virtio", Whole: true), changes[2]);
    }

    [Fact]
    public void A_removed_nic_and_another_disk_bus_are_named()
    {
        Assert.Equal("definition changed: disk vda bus virtio → scsi, nic 2 removed",
            DefinitionFields.Describe(DiffDomains(LibvirtDomain, Domain(nics: 1, bus: "scsi"))));
    }

    [Fact]
    public void Network_addresses_dhcp_range_and_mtu_are_named()
    {
        var actual = XElement.Parse("""
            <network><name>m</name><forward mode='nat'><nat><port start='1024' end='65535'/></nat></forward><bridge name='virbr3' stp='on' delay='0'/>
              <mac address='52:54:00:aa:bb:cc'/><ip address='172.16.0.1' netmask='255.255.255.0'><dhcp><range start='172.16.0.2' end='172.16.0.100'/>
              <host mac='52:54:00:00:00:01' name='a' ip='172.16.0.5'/></dhcp></ip></network>
            """);
        var desired = XElement.Parse("""
            <network><name>m</name><forward mode="nat"/><bridge name="virbr3"/><mtu size="9000"/>
              <ip address="172.16.1.1" prefix="24"><dhcp><range start="172.16.1.2" end="172.16.1.100"/></dhcp></ip></network>
            """);

        var changes = DefinitionFields.Diff(DefinitionFields.OfNetwork(actual), DefinitionFields.OfNetwork(desired));

        Assert.Equal("definition changed: mtu 9000 added, ipv4 172.16.0.1/24 → 172.16.1.1/24, ipv4 dhcp range 172.16.0.2-172.16.0.100 → 172.16.1.2-172.16.1.100",
            DefinitionFields.Describe(changes));
    }

    [Fact]
    public void A_volumes_backing_image_is_named()
    {
        var actual = XElement.Parse("<volume type='file'><name>d</name><capacity unit='bytes'>1073741824</capacity><target><path>/p/d</path><format type='qcow2'/></target>"
                                    + "<backingStore><path>/var/lib/vmetal/images/a.qcow2</path><format type='qcow2'/></backingStore></volume>");
        var desired = XElement.Parse("<volume><name>d</name><capacity unit=\"bytes\">2147483648</capacity><target><format type=\"qcow2\"/></target>"
                                     + "<backingStore><path>/var/lib/vmetal/images/b.qcow2</path><format type=\"qcow2\"/></backingStore></volume>");

        Assert.Equal([new FieldChange("backing image", "/var/lib/vmetal/images/a.qcow2", "/var/lib/vmetal/images/b.qcow2")],
            DefinitionFields.Diff(DefinitionFields.OfVolume(actual), DefinitionFields.OfVolume(desired)));
    }

    [Fact]
    public void Nothing_read_from_the_host_itemises_nothing()
    {
        Assert.Equal("definition changed (in settings not itemised here)",
            DefinitionFields.Describe(DefinitionFields.Diff(null, DefinitionFields.OfDomain(XElement.Parse(Domain())))));
    }
}
