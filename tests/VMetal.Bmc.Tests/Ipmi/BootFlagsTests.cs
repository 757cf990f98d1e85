using VMetal.Bmc.Ipmi;
using VMetal.Bmc.Machines;

namespace VMetal.Bmc.Tests.Ipmi;

/// <summary>Boot option parameter 5 as ipmitool and Ironic write it (IPMI v2.0 table 28-14).</summary>
public sealed class BootFlagsTests
{
    [Theory]
    [InlineData(0x80, 0x04, BootTarget.Pxe, BootOverride.Once, BootMode.Legacy)] // chassis bootdev pxe
    [InlineData(0xC0, 0x08, BootTarget.Hdd, BootOverride.Continuous, BootMode.Legacy)] // bootdev disk options=persistent
    [InlineData(0xA0, 0x14, BootTarget.Cd, BootOverride.Once, BootMode.Uefi)] // bootdev cdrom options=efiboot
    [InlineData(0xE0, 0x04, BootTarget.Pxe, BootOverride.Continuous, BootMode.Uefi)] // Ironic's raw 0x00 0x08 0x05 0xe0 0x04 for UEFI nodes
    [InlineData(0x80, 0x0C, BootTarget.Hdd, BootOverride.Once, BootMode.Legacy)] // hard drive, safe mode
    [InlineData(0x80, 0x18, BootTarget.BiosSetup, BootOverride.Once, BootMode.Legacy)]
    [InlineData(0x80, 0x20, BootTarget.Cd, BootOverride.Once, BootMode.Legacy)] // remote CD/DVD
    public void DecodesWhatClientsSend(byte first, byte second, BootTarget target, BootOverride enabled, BootMode mode)
    {
        Assert.Equal(new BootChange(target, enabled, mode), BootFlags.Decode([first, second, 0, 0, 0]));
    }

    [Fact]
    public void ValidBitClearMeansDisabledAndKeepsTheFirmware()
    {
        Assert.Equal(new BootChange(Enabled: BootOverride.Disabled), BootFlags.Decode([0x20, 0x04, 0, 0, 0]));
    }

    [Theory]
    [InlineData(0x80, BootMode.Legacy)]
    [InlineData(0xA0, BootMode.Uefi)]
    public void NoOverrideMeansDisabledInTheFirmwareAskedFor(byte first, BootMode mode)
    {
        Assert.Equal(new BootChange(Enabled: BootOverride.Disabled, Mode: mode), BootFlags.Decode([first, 0x00, 0, 0, 0]));
    }

    [Theory]
    [InlineData(0x3C)] // floppy
    [InlineData(0x10)] // diagnostic partition
    public void UnbootableDevicesAreRefused(byte second)
    {
        Assert.Null(BootFlags.Decode([0x80, second, 0, 0, 0]));
    }

    [Theory]
    [InlineData(BootMode.Uefi)]
    [InlineData(BootMode.Legacy)]
    public void EncodeIsTheInverseForEveryBootableTarget(BootMode mode)
    {
        foreach (var target in new[] { BootTarget.Pxe, BootTarget.Hdd, BootTarget.Cd, BootTarget.BiosSetup })
        {
            foreach (var enabled in new[] { BootOverride.Once, BootOverride.Continuous })
            {
                var settings = new BootSettings(target, enabled, mode);
                Assert.Equal(new BootChange(target, enabled, mode), BootFlags.Decode(BootFlags.Encode(settings)));
            }
        }
    }
}
