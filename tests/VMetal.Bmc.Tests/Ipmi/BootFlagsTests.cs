using VMetal.Bmc.Ipmi;
using VMetal.Bmc.Machines;

namespace VMetal.Bmc.Tests.Ipmi;

/// <summary>Boot option parameter 5 as ipmitool and Ironic write it (IPMI v2.0 table 28-14).</summary>
public sealed class BootFlagsTests
{
    [Theory]
    [InlineData(0x80, 0x04, BootTarget.Pxe, BootOverride.Once, null)] // chassis bootdev pxe
    [InlineData(0xC0, 0x08, BootTarget.Hdd, BootOverride.Continuous, null)] // bootdev disk options=persistent
    [InlineData(0xA0, 0x14, BootTarget.Cd, BootOverride.Once, BootMode.Uefi)] // bootdev cdrom options=efiboot
    [InlineData(0x80, 0x0C, BootTarget.Hdd, BootOverride.Once, null)] // hard drive, safe mode
    [InlineData(0x80, 0x18, BootTarget.BiosSetup, BootOverride.Once, null)]
    [InlineData(0x80, 0x20, BootTarget.Cd, BootOverride.Once, null)] // remote CD/DVD
    public void DecodesWhatClientsSend(byte first, byte second, BootTarget target, BootOverride enabled, BootMode? mode)
    {
        Assert.Equal(new BootChange(target, enabled, mode), BootFlags.Decode([first, second, 0, 0, 0]));
    }

    [Theory]
    [InlineData(0x00, 0x04)] // valid bit clear
    [InlineData(0x80, 0x00)] // no override
    public void NoOverrideMeansDisabled(byte first, byte second)
    {
        Assert.Equal(new BootChange(Enabled: BootOverride.Disabled), BootFlags.Decode([first, second, 0, 0, 0]));
    }

    [Theory]
    [InlineData(0x3C)] // floppy
    [InlineData(0x10)] // diagnostic partition
    public void UnbootableDevicesAreRefused(byte second)
    {
        Assert.Null(BootFlags.Decode([0x80, second, 0, 0, 0]));
    }

    [Fact]
    public void EncodeIsTheInverseForEveryBootableTarget()
    {
        foreach (var target in new[] { BootTarget.Pxe, BootTarget.Hdd, BootTarget.Cd, BootTarget.BiosSetup })
        {
            foreach (var enabled in new[] { BootOverride.Once, BootOverride.Continuous })
            {
                var settings = new BootSettings(target, enabled, BootMode.Uefi);
                Assert.Equal(new BootChange(target, enabled, BootMode.Uefi), BootFlags.Decode(BootFlags.Encode(settings)));
            }
        }
    }
}
