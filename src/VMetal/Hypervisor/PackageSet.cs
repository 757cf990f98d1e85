namespace VMetal.Hypervisor;

/// <summary>The packages a hypervisor needs, in one distribution family's names.</summary>
public sealed record PackageSet(DistroFamily Family, IReadOnlyList<string> Names, string IpxePackage, string FirmwarePackage)
{
    /// <summary>
    /// What each family calls libvirt, QEMU/KVM, libguestfs (image customisation), virt-install,
    /// wget, the iPXE option ROMs QEMU's NICs PXE-boot with, and UEFI firmware. Debian adds
    /// dnsmasq-base explicitly: it is only a Recommends of libvirt-daemon-system there, and
    /// prepare installs without recommends (a lean, predictable host), but libvirt's DHCP needs it.
    /// </summary>
    public static PackageSet? For(DistroFamily family) => family switch
    {
        DistroFamily.El7 => new(family,
            ["libvirt", "qemu-kvm", "libguestfs-tools-c", "libguestfs-xfs", "virt-install", "wget", "ipxe-roms-qemu", "OVMF"],
            "ipxe-roms-qemu", "OVMF"),
        DistroFamily.El8 => new(family,
            ["libvirt", "qemu-kvm", "libguestfs-tools-c", "libguestfs-xfs", "virt-install", "wget", "ipxe-roms-qemu", "edk2-ovmf"],
            "ipxe-roms-qemu", "edk2-ovmf"),
        // libguestfs-tools-c became guestfs-tools (virt-customize, virt-resize) in EL9 and Fedora 34.
        DistroFamily.El9 or DistroFamily.Fedora => new(family,
            ["libvirt", "qemu-kvm", "guestfs-tools", "libguestfs-xfs", "virt-install", "wget", "ipxe-roms-qemu", "edk2-ovmf"],
            "ipxe-roms-qemu", "edk2-ovmf"),
        DistroFamily.Debian => new(family,
            ["libvirt-daemon-system", "libvirt-clients", "qemu-system-x86", "qemu-utils", "libguestfs-tools", "virtinst", "wget",
                "ipxe-qemu", "ovmf", "dnsmasq-base"],
            "ipxe-qemu", "ovmf"),
        _ => null,
    };

    /// <summary>How the fact script is told which names to query: <c>deb:NAME</c> or <c>rpm:NAME</c>.</summary>
    public static IEnumerable<string> QueryTokens(IEnumerable<string> extraPackages)
    {
        var families = new[] { DistroFamily.El7, DistroFamily.El8, DistroFamily.El9, DistroFamily.Debian };
        var rpm = families.Where(f => f != DistroFamily.Debian).SelectMany(f => For(f)!.Names);
        var deb = For(DistroFamily.Debian)!.Names;
        var extras = extraPackages.ToList();
        return rpm.Concat(extras).Distinct(StringComparer.Ordinal).Select(name => "rpm:" + name)
            .Concat(deb.Concat(extras).Distinct(StringComparer.Ordinal).Select(name => "deb:" + name));
    }
}
