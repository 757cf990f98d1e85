namespace VMetal.Bmc.Machines;

/// <summary>What a BMC can see of one virtual machine: a snapshot, replaced whenever something changes.</summary>
/// <param name="Id">The libvirt domain UUID; also the Redfish system id.</param>
/// <param name="Name">The libvirt domain name.</param>
/// <param name="MacAddresses">MAC address of every NIC, in domain order.</param>
public sealed record Machine(
    Guid Id,
    string Name,
    PowerState Power,
    BootSettings Boot,
    IReadOnlyList<string> MacAddresses,
    int MemoryMiB,
    int ProcessorCount,
    VirtualMediaState Media)
{
    /// <summary>The hard disks (CD-ROMs excluded), in domain order; what inspection reads as storage.</summary>
    public IReadOnlyList<MachineDisk> Disks { get; init; } = [];
}

/// <param name="Name">The disk's name in the machine (libvirt target, such as vda).</param>
/// <param name="CapacityBytes">The size of the volume behind it, or null when it cannot be learned (no storage pool holds it).</param>
public sealed record MachineDisk(string Name, long? CapacityBytes);

public enum PowerState
{
    Off,
    On,
}

/// <summary>
/// The power requests both protocols can make (IPMI chassis control, Redfish ResetType), with one meaning for both:
/// every action that ends with the machine on powers on a machine that is off; the two that need a running guest are
/// refused while it is off (<see cref="PowerActions.NeedsRunningGuest"/>); off actions on a machine that is off do nothing.
/// </summary>
public enum PowerAction
{
    On,
    ForceOff,
    GracefulShutdown,
    /// <summary>Cold restart: the machine boots again and takes a pending boot override. Powers on a machine that is off.</summary>
    ForceRestart,
    /// <summary>Asks the guest to reboot (ACPI). Refused while off: there is no guest to ask.</summary>
    GracefulRestart,
    /// <summary>
    /// Off, then on again (a cold restart, as <see cref="ForceRestart"/>). Powers on a machine that is off, as Redfish defines
    /// PowerCycle; IPMI 28.3 only recommends refusing it then, and one meaning for both protocols matters more.
    /// </summary>
    PowerCycle,
    /// <summary>A diagnostic interrupt for the guest. Refused while off.</summary>
    Nmi,
}

public static class PowerActions
{
    /// <summary>Whether the action is refused ("not in this state") while the machine is off.</summary>
    public static bool NeedsRunningGuest(this PowerAction action) => action is PowerAction.GracefulRestart or PowerAction.Nmi;
}

public enum BootTarget
{
    None,
    Pxe,
    Hdd,
    Cd,
    BiosSetup,
}

/// <summary>Redfish BootSourceOverrideEnabled; IPMI's persistent bit selects Continuous versus Once.</summary>
public enum BootOverride
{
    Disabled,
    Once,
    Continuous,
}

public enum BootMode
{
    Legacy,
    Uefi,
}

public sealed record BootSettings(BootTarget Target, BootOverride Enabled, BootMode Mode);

/// <summary>A boot change request; a null member keeps its current value.</summary>
public sealed record BootChange(BootTarget? Target = null, BootOverride? Enabled = null, BootMode? Mode = null)
{
    /// <summary>
    /// The settings after applying this change to <paramref name="current"/>. A target given without
    /// "enabled" keeps the current override kind, or means Once when no override was active.
    /// </summary>
    public BootSettings ApplyTo(BootSettings current)
    {
        var enabled = Enabled ?? (Target is null || current.Enabled != BootOverride.Disabled ? current.Enabled : BootOverride.Once);
        return new BootSettings(Target ?? current.Target, enabled, Mode ?? current.Mode);
    }
}

/// <summary>The virtual CD drive of a machine, as Redfish VirtualMedia shows it.</summary>
public sealed record VirtualMediaState(Uri? Image)
{
    public static readonly VirtualMediaState Empty = new((Uri?)null);

    public bool Inserted => Image is not null;
}
