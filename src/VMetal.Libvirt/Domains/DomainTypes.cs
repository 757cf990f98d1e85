namespace VMetal.Libvirt;

/// <summary>virDomainState.</summary>
public enum DomainState
{
    NoState = 0,
    Running = 1,
    Blocked = 2,
    Paused = 3,
    Shutdown = 4,
    Shutoff = 5,
    Crashed = 6,
    PmSuspended = 7,
}

/// <summary>
/// A domain's state and the reason for it. The reason's meaning depends on the state
/// (virDomainRunningReason, virDomainShutoffReason, ...), e.g. Shutoff/2 = destroyed.
/// </summary>
public readonly record struct DomainStateInfo(DomainState State, int Reason);

/// <summary>virDomainInfo: memory in KiB, CPU time in nanoseconds.</summary>
public sealed record DomainInfo(DomainState State, ulong MaxMemoryKiB, ulong MemoryKiB, int VirtualCpus, ulong CpuTimeNanoseconds);

/// <summary>virIPAddrType.</summary>
public enum IPAddressType
{
    IPv4 = 0,
    IPv6 = 1,
}

/// <summary>One address of a guest interface.</summary>
public sealed record DomainIPAddress(IPAddressType Type, string Address, uint Prefix);

/// <summary>A guest interface as reported by virDomainInterfaceAddresses.</summary>
public sealed record DomainInterface(string Name, string? HardwareAddress, IReadOnlyList<DomainIPAddress> Addresses);

/// <summary>virDomainInterfaceAddressesSource: where libvirt learns guest addresses.</summary>
public enum DomainInterfaceAddressSource : uint
{
    /// <summary>DHCP leases of libvirt's own networks.</summary>
    Lease = 0,
    Agent = 1,
    Arp = 2,
}

/// <summary>virDomainMetadataType.</summary>
public enum DomainMetadataType
{
    Description = 0,
    Title = 1,
    /// <summary>An XML element in the domain's &lt;metadata&gt;, identified by its namespace URI.</summary>
    Element = 2,
}

/// <summary>virKeycodeSet: how the key codes given to SendKey are to be read.</summary>
public enum KeycodeSet : uint
{
    Linux = 0,
    XT = 1,
    AT1 = 2,
    AT2 = 3,
    AT3 = 4,
    OSX = 5,
    XTKbd = 6,
    Usb = 7,
    Win32 = 8,
    Qnum = 9,
}

/// <summary>virConnectListAllDomainsFlags; none = every domain.</summary>
[Flags]
public enum DomainListFlags : uint
{
    None = 0,
    Active = 1 << 0,
    Inactive = 1 << 1,
    Persistent = 1 << 2,
    Transient = 1 << 3,
    Running = 1 << 4,
    Paused = 1 << 5,
    Shutoff = 1 << 6,
    Other = 1 << 7,
    ManagedSave = 1 << 8,
    NoManagedSave = 1 << 9,
    Autostart = 1 << 10,
    NoAutostart = 1 << 11,
    HasSnapshot = 1 << 12,
    NoSnapshot = 1 << 13,
}

/// <summary>virDomainDefineFlags.</summary>
[Flags]
public enum DomainDefineFlags : uint
{
    None = 0,
    /// <summary>Validate the XML against libvirt's schema.</summary>
    Validate = 1 << 0,
}

/// <summary>virDomainUndefineFlagsValues.</summary>
[Flags]
public enum DomainUndefineFlags : uint
{
    None = 0,
    ManagedSave = 1 << 0,
    SnapshotsMetadata = 1 << 1,
    /// <summary>Also delete the UEFI variable store (needed to undefine a UEFI domain).</summary>
    Nvram = 1 << 2,
    KeepNvram = 1 << 3,
    CheckpointsMetadata = 1 << 4,
    Tpm = 1 << 5,
    KeepTpm = 1 << 6,
}

/// <summary>virDomainCreateFlags.</summary>
[Flags]
public enum DomainCreateFlags : uint
{
    None = 0,
    Paused = 1 << 0,
    AutoDestroy = 1 << 1,
    BypassCache = 1 << 2,
    ForceBoot = 1 << 3,
    Validate = 1 << 4,
    ResetNvram = 1 << 5,
}

/// <summary>virDomainDestroyFlagsValues.</summary>
[Flags]
public enum DomainDestroyFlags : uint
{
    None = 0,
    Graceful = 1 << 0,
    RemoveLogs = 1 << 1,
}

/// <summary>
/// How libvirt asks the guest to shut down or reboot: virDomainShutdownFlagValues and
/// virDomainRebootFlagValues, which have the same values. Default lets the hypervisor choose.
/// </summary>
[Flags]
public enum GuestPowerMethods : uint
{
    Default = 0,
    AcpiPowerButton = 1 << 0,
    GuestAgent = 1 << 1,
    Initctl = 1 << 2,
    Signal = 1 << 3,
    Paravirt = 1 << 4,
}

/// <summary>virDomainXMLFlags.</summary>
[Flags]
public enum DomainXmlFlags : uint
{
    None = 0,
    /// <summary>Include security-sensitive data such as VNC passwords.</summary>
    Secure = 1 << 0,
    /// <summary>The persistent definition rather than the running one.</summary>
    Inactive = 1 << 1,
    UpdateCpu = 1 << 2,
    Migratable = 1 << 3,
}

/// <summary>virDomainModificationImpact: which definition a change applies to.</summary>
[Flags]
public enum DomainModificationImpact : uint
{
    Current = 0,
    Live = 1 << 0,
    Config = 1 << 1,
}

/// <summary>virDomainDeviceModifyFlags: which definition a device change applies to, and whether to force it.</summary>
[Flags]
public enum DomainDeviceModifyFlags : uint
{
    Current = 0,
    Live = 1 << 0,
    Config = 1 << 1,
    /// <summary>For example ejects a CD whose tray the guest has locked.</summary>
    Force = 1 << 2,
}

/// <summary>virDomainConsoleFlags.</summary>
[Flags]
public enum DomainConsoleFlags : uint
{
    None = 0,
    /// <summary>Takes the console over from another client that holds it (that client's stream ends).</summary>
    Force = 1,
    /// <summary>Refuses to open when the driver cannot guarantee exclusive access.</summary>
    Safe = 2,
}
