using VMetal.Bmc.Machines;

namespace VMetal.Bmc.Ipmi;

/// <summary>
/// Boot option parameter 5, "boot flags" (IPMI v2.0 table 28-14): byte 1 holds valid (bit 7),
/// persistent (bit 6) and EFI (bit 5); byte 2 bits 5:2 select the boot device.
/// </summary>
internal static class BootFlags
{
    private const byte Valid = 0x80;
    private const byte Persistent = 0x40;
    private const byte Efi = 0x20;

    public static byte[] Encode(BootSettings boot)
    {
        var first = boot.Mode == BootMode.Uefi ? Efi : (byte)0;
        if (boot.Enabled != BootOverride.Disabled && boot.Target != BootTarget.None)
        {
            first |= Valid;
            if (boot.Enabled == BootOverride.Continuous)
            {
                first |= Persistent;
            }
        }

        var device = boot.Target switch
        {
            BootTarget.Pxe => 1,
            BootTarget.Hdd => 2,
            BootTarget.Cd => 5,
            BootTarget.BiosSetup => 6,
            _ => 0,
        };
        return [first, (byte)(device << 2), 0, 0, 0];
    }

    /// <summary>
    /// The change asked for, or null for a device this BMC cannot boot (floppy, diagnostic partition…). With the valid bit
    /// set, the EFI bit chooses the firmware both ways, as Redfish BootSourceOverrideMode does and as Ironic relies on:
    /// set means UEFI, clear means legacy BIOS. So <c>ipmitool chassis bootdev pxe</c>, which sends "legacy" unless given
    /// <c>options=efiboot</c>, switches a UEFI machine to BIOS, as it would a real server that honours the bit.
    /// </summary>
    public static BootChange? Decode(ReadOnlySpan<byte> flags)
    {
        if ((flags[0] & Valid) == 0)
        {
            return new BootChange(Enabled: BootOverride.Disabled);
        }

        BootTarget? target = ((flags[1] >> 2) & 0x0F) switch
        {
            0 => BootTarget.None,
            1 => BootTarget.Pxe,
            2 or 3 => BootTarget.Hdd, // 3 is "hard drive, safe mode"
            5 or 8 => BootTarget.Cd, // 8 is "remotely connected CD/DVD"
            6 => BootTarget.BiosSetup,
            _ => null,
        };
        if (target is null)
        {
            return null;
        }

        var mode = (flags[0] & Efi) != 0 ? BootMode.Uefi : BootMode.Legacy;
        return target == BootTarget.None
            ? new BootChange(Enabled: BootOverride.Disabled, Mode: mode)
            : new BootChange(target, (flags[0] & Persistent) != 0 ? BootOverride.Continuous : BootOverride.Once, mode);
    }
}
