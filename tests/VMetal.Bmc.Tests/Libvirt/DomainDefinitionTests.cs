using System.Xml.Linq;
using VMetal.Bmc.Libvirt;
using VMetal.Bmc.Machines;

namespace VMetal.Bmc.Tests.Libvirt;

/// <summary>Boot order, firmware and the "once" note in domain XML, in both boot order forms libvirt knows.</summary>
public sealed class DomainDefinitionTests
{
    // As vmetal defines nodes: per-device boot order, provisioning NIC first, then the first disk.
    private const string PerDevice = """
        <domain type='qemu'>
          <name>node-0</name>
          <uuid>6f1c1a4e-4a64-4d1e-9d83-5b8f4f4cb001</uuid>
          <memory unit='KiB'>131072</memory>
          <vcpu placement='static'>2</vcpu>
          <os><type arch='x86_64' machine='pc-q35-7.2'>hvm</type></os>
          <devices>
            <disk type='file' device='disk'><source file='/var/lib/a.qcow2'/><target dev='vda' bus='virtio'/><boot order='2'/></disk>
            <disk type='file' device='disk'><source file='/var/lib/b.qcow2'/><target dev='vdb' bus='virtio'/></disk>
            <disk type='file' device='cdrom'><target dev='sda' bus='sata'/><readonly/></disk>
            <interface type='network'><mac address='52:54:00:00:00:0A'/><source network='prov'/><boot order='1'/></interface>
            <interface type='network'><mac address='52:54:00:00:00:0b'/><source network='ext'/></interface>
          </devices>
        </domain>
        """;

    private const string OsForm = """
        <domain type='qemu'>
          <name>legacy</name>
          <uuid>6f1c1a4e-4a64-4d1e-9d83-5b8f4f4cb002</uuid>
          <memory unit='MiB'>64</memory>
          <os><type arch='x86_64' machine='pc'>hvm</type><boot dev='hd'/><boot dev='network'/></os>
          <devices>
            <disk type='file' device='disk'><source file='/var/lib/c.qcow2'/><target dev='vda' bus='virtio'/></disk>
            <interface type='user'><mac address='52:54:00:00:00:0c'/></interface>
          </devices>
        </domain>
        """;

    [Fact]
    public void ReadsIdentityNicsMemoryAndBoot()
    {
        var domain = DomainDefinition.Parse(PerDevice);

        Assert.Equal(Guid.Parse("6f1c1a4e-4a64-4d1e-9d83-5b8f4f4cb001"), domain.Uuid);
        Assert.Equal("node-0", domain.Name);
        Assert.Equal(["52:54:00:00:00:0A", "52:54:00:00:00:0b"], domain.MacAddresses);
        Assert.Equal(128, domain.MemoryMiB);
        Assert.Equal(2, domain.ProcessorCount);
        Assert.Equal(new BootSettings(BootTarget.Pxe, BootOverride.Continuous, BootMode.Legacy), domain.Boot);
        Assert.Equal(["interface:52:54:00:00:00:0a", "disk:disk:vda"], domain.BootOrder);
    }

    [Fact]
    public void ContinuousHddPutsTheBootDiskFirstAndKeepsTheNicAsFallback()
    {
        var domain = DomainDefinition.Parse(PerDevice);

        domain.Apply(new BootChange(BootTarget.Hdd, BootOverride.Continuous));

        var reread = DomainDefinition.Parse(domain.ToXml());
        Assert.Equal(["disk:disk:vda", "interface:52:54:00:00:00:0a"], reread.BootOrder);
        Assert.Equal(new BootSettings(BootTarget.Hdd, BootOverride.Continuous, BootMode.Legacy), reread.Boot);
        Assert.Null(reread.PendingOnce);
        Assert.Equal(["1", "2"], BootOrders(reread, "vda", "52:54:00:00:00:0A"));
    }

    [Fact]
    public void OnceIsNotedAndRestoredAfterTheBoot()
    {
        var domain = DomainDefinition.Parse(PerDevice);

        domain.Apply(new BootChange(BootTarget.Cd, BootOverride.Once));
        var pending = DomainDefinition.Parse(domain.ToXml());

        Assert.Equal(["disk:cdrom:sda", "interface:52:54:00:00:00:0a", "disk:disk:vda"], pending.BootOrder);
        Assert.Equal(new BootSettings(BootTarget.Cd, BootOverride.Once, BootMode.Legacy), pending.Boot);
        Assert.True(pending.RestoreAfterOnce());
        Assert.Equal(["interface:52:54:00:00:00:0a", "disk:disk:vda"], pending.BootOrder);
        Assert.Null(pending.PendingOnce);
        Assert.False(pending.RestoreAfterOnce());
    }

    [Fact]
    public void SecondOnceKeepsTheFirstSavedOrderAndDisabledRestoresIt()
    {
        var domain = DomainDefinition.Parse(PerDevice);

        domain.Apply(new BootChange(BootTarget.Hdd, BootOverride.Once));
        domain.Apply(new BootChange(BootTarget.Cd, BootOverride.Once));
        Assert.Equal(["interface:52:54:00:00:00:0a", "disk:disk:vda"], domain.PendingOnce!.Value.Restore);

        domain.Apply(new BootChange(Enabled: BootOverride.Disabled));

        Assert.Null(domain.PendingOnce);
        Assert.Equal(["interface:52:54:00:00:00:0a", "disk:disk:vda"], domain.BootOrder);
    }

    [Fact]
    public void OsFormStaysOsForm()
    {
        var domain = DomainDefinition.Parse(OsForm);
        Assert.Equal(BootTarget.Hdd, domain.Boot.Target);

        domain.Apply(new BootChange(BootTarget.Pxe, BootOverride.Continuous));

        var os = XDocument.Parse(domain.ToXml()).Root!.Element("os")!;
        Assert.Equal(["network", "hd"], os.Elements("boot").Select(b => b.Attribute("dev")!.Value));
        Assert.DoesNotContain(XDocument.Parse(domain.ToXml()).Descendants("boot"), b => b.Attribute("order") is not null);
    }

    [Fact]
    public void MissingDeviceAndBiosSetupAreUnsupported()
    {
        var domain = DomainDefinition.Parse(WithOs("<os><type arch='x86_64' machine='pc'>hvm</type></os>"));

        var noNic = Assert.Throws<MachineOperationException>(() => domain.Apply(new BootChange(BootTarget.Pxe, BootOverride.Once)));
        var setup = Assert.Throws<MachineOperationException>(() => domain.Apply(new BootChange(BootTarget.BiosSetup, BootOverride.Once)));

        Assert.Equal(MachineErrorKind.Unsupported, noNic.Kind);
        Assert.Contains("network interface", noNic.Message, StringComparison.Ordinal);
        Assert.Equal(MachineErrorKind.Unsupported, setup.Kind);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void CdBootAddsAnEmptyDriveToADomainWithoutOneAndBootsItFirst(bool osForm)
    {
        var domain = DomainDefinition.Parse(osForm ? OsForm : PerDevice.Replace("<disk type='file' device='cdrom'><target dev='sda' bus='sata'/><readonly/></disk>", "", StringComparison.Ordinal));

        domain.Apply(new BootChange(BootTarget.Cd, BootOverride.Once));

        var cdrom = Assert.Single(XDocument.Parse(domain.ToXml()).Descendants("disk"), d => d.Attribute("device")?.Value == "cdrom");
        Assert.Null(cdrom.Element("source"));
        Assert.Equal(osForm ? "ide" : "sata", cdrom.Element("target")?.Attribute("bus")?.Value);
        Assert.Equal(new BootSettings(BootTarget.Cd, BootOverride.Once, BootMode.Legacy), DomainDefinition.Parse(domain.ToXml()).Boot);
        Assert.Equal(osForm ? "os:cdrom" : "disk:cdrom:sda", domain.BootOrder[0]);
    }

    [Fact]
    public void LiveCdromChangeCarriesTheNewMediumInTheLiveDrive()
    {
        var persistent = DomainDefinition.Parse(PerDevice);
        // The live XML has what libvirt adds at start (alias, address) and may differ in boot order; those must be kept.
        var live = DomainDefinition.Parse(PerDevice.Replace("<target dev='sda' bus='sata'/><readonly/>",
            "<target dev='sda' bus='sata'/><readonly/><alias name='sata0-0-0'/><address type='drive' controller='0' bus='0' target='0' unit='0'/>", StringComparison.Ordinal));

        persistent.InsertMedia("/m/x.iso", new Uri("http://192.0.2.1/x.iso"));
        var inserted = XElement.Parse(live.LiveCdromChange(persistent)!);
        Assert.Equal("/m/x.iso", inserted.Element("source")?.Attribute("file")?.Value);
        Assert.Equal("sata0-0-0", inserted.Element("alias")?.Attribute("name")?.Value);
        Assert.Equal("sda", inserted.Element("target")?.Attribute("dev")?.Value);

        persistent.EjectMedia();
        Assert.Null(XElement.Parse(live.LiveCdromChange(persistent)!).Element("source"));
    }

    [Fact]
    public void LiveCdromChangeIsNullWhenTheDriveWasAddedAfterTheStart()
    {
        var persistent = DomainDefinition.Parse(OsForm);
        var live = DomainDefinition.Parse(OsForm);

        persistent.InsertMedia("/m/x.iso", new Uri("http://192.0.2.1/x.iso"));

        Assert.Null(live.LiveCdromChange(persistent));
    }

    [Fact]
    public void NvramAndDisksAreRead()
    {
        var uefi = DomainDefinition.Parse(WithOs("<os><type arch='x86_64' machine='q35'>hvm</type><loader readonly='yes' type='pflash'>/usr/share/OVMF/OVMF_CODE_4M.fd</loader><nvram template='/usr/share/OVMF/OVMF_VARS_4M.fd'>/var/lib/libvirt/qemu/nvram/n_VARS.fd</nvram></os>"));
        var domain = DomainDefinition.Parse(PerDevice);

        Assert.Equal("/var/lib/libvirt/qemu/nvram/n_VARS.fd", uefi.NvramFile);
        Assert.Null(domain.NvramFile);
        Assert.Equal([("vda", "/var/lib/a.qcow2"), ("vdb", "/var/lib/b.qcow2")], domain.Disks);
    }

    [Theory]
    [InlineData("<os firmware='efi'><type arch='x86_64' machine='q35'>hvm</type></os>", BootMode.Uefi)]
    [InlineData("<os><type arch='x86_64' machine='q35'>hvm</type><loader readonly='yes' type='pflash'>/usr/share/OVMF/OVMF_CODE_4M.fd</loader><nvram>/var/lib/x_VARS.fd</nvram></os>", BootMode.Uefi)]
    [InlineData("<os><type arch='x86_64' machine='pc'>hvm</type></os>", BootMode.Legacy)]
    public void FirmwareIsReadFromTheLoader(string os, BootMode expected)
    {
        Assert.Equal(expected, DomainDefinition.Parse(WithOs(os)).Mode);
    }

    [Fact]
    public void ModeSwitchUsesFirmwareAutoselection()
    {
        var uefi = DomainDefinition.Parse(WithOs("<os><type arch='x86_64' machine='q35'>hvm</type><loader readonly='yes' type='pflash'>/usr/share/OVMF/OVMF_CODE_4M.fd</loader><nvram>/var/lib/x_VARS.fd</nvram></os>"));

        uefi.Apply(new BootChange(Mode: BootMode.Legacy));
        var legacy = XDocument.Parse(uefi.ToXml()).Root!.Element("os")!;
        Assert.Null(legacy.Element("loader"));
        Assert.Null(legacy.Element("nvram"));
        Assert.Null(legacy.Attribute("firmware"));

        uefi.Apply(new BootChange(Mode: BootMode.Uefi));
        Assert.Equal("efi", XDocument.Parse(uefi.ToXml()).Root!.Element("os")!.Attribute("firmware")?.Value);
        Assert.Equal(BootMode.Uefi, uefi.Mode);
    }

    [Fact]
    public void MediaUsesTheExistingDriveAndLivesBesideTheOnceNote()
    {
        var domain = DomainDefinition.Parse(PerDevice);

        domain.InsertMedia("/var/lib/vmetal/bmc/media/x.iso", new Uri("http://192.0.2.1/ipa.iso"));
        domain.Apply(new BootChange(BootTarget.Cd, BootOverride.Once));
        var reread = DomainDefinition.Parse(domain.ToXml());

        var cdrom = XDocument.Parse(reread.ToXml()).Root!.Element("devices")!.Elements("disk").Single(d => d.Attribute("device")?.Value == "cdrom");
        Assert.Equal("/var/lib/vmetal/bmc/media/x.iso", cdrom.Element("source")?.Attribute("file")?.Value);
        Assert.Equal("sda", cdrom.Element("target")?.Attribute("dev")?.Value);
        Assert.Equal(new Uri("http://192.0.2.1/ipa.iso"), reread.Media.Image);
        Assert.Equal(BootTarget.Cd, reread.PendingOnce?.Target);
        // libvirt keeps one metadata element per namespace: both notes must share it.
        Assert.Single(XDocument.Parse(reread.ToXml()).Root!.Element("metadata")!.Elements());

        reread.EjectMedia();
        Assert.False(reread.Media.Inserted);
        Assert.Null(XDocument.Parse(reread.ToXml()).Descendants("source").FirstOrDefault(s => s.Attribute("file")?.Value.EndsWith(".iso", StringComparison.Ordinal) ?? false));
        Assert.Equal(BootTarget.Cd, reread.PendingOnce?.Target);
    }

    [Theory]
    [InlineData("pc-q35-7.2", "sata", "sdb")]
    [InlineData("pc", "ide", "hda")]
    public void MediaAddsADriveOnTheMachinesBusWhenThereIsNone(string machine, string bus, string dev)
    {
        var domain = DomainDefinition.Parse(WithOs($"<os><type arch='x86_64' machine='{machine}'>hvm</type></os>")
            .Replace("<devices/>", "<devices><disk type='file' device='disk'><target dev='sda' bus='sata'/></disk></devices>", StringComparison.Ordinal));

        domain.InsertMedia("/m/x.iso", new Uri("https://192.0.2.1/x.iso"));

        var cdrom = XDocument.Parse(domain.ToXml()).Root!.Element("devices")!.Elements("disk").Single(d => d.Attribute("device")?.Value == "cdrom");
        Assert.Equal(bus, cdrom.Element("target")?.Attribute("bus")?.Value);
        Assert.Equal(dev, cdrom.Element("target")?.Attribute("dev")?.Value);
        Assert.NotNull(cdrom.Element("readonly"));
    }

    private static string WithOs(string os) => $"<domain type='qemu'><name>f</name><uuid>{Guid.NewGuid()}</uuid>{os}<devices/></domain>";

    private static IEnumerable<string?> BootOrders(DomainDefinition domain, string disk, string mac)
    {
        var devices = XDocument.Parse(domain.ToXml()).Root!.Element("devices")!;
        yield return devices.Elements("disk").Single(d => d.Element("target")?.Attribute("dev")?.Value == disk).Element("boot")?.Attribute("order")?.Value;
        yield return devices.Elements("interface").Single(i => i.Element("mac")?.Attribute("address")?.Value == mac).Element("boot")?.Attribute("order")?.Value;
    }
}
