namespace VMetal.Rendering;

/// <summary>Host-side choices that shape the XML but not the topology itself.</summary>
public sealed record RenderOptions
{
    /// <summary><c>kvm</c> needs hardware virtualisation; <c>qemu</c> (TCG) works anywhere, slowly.</summary>
    public DomainType DomainType { get; init; } = DomainType.Kvm;

    /// <summary>Also log each serial console to <c>&lt;dir&gt;/&lt;domain&gt;-serial.log</c> (infrared's --serial-files).</summary>
    public bool SerialLogFiles { get; init; }

    public string SerialLogDirectory { get; init; } = "/var/log/libvirt/qemu";

    /// <summary>VNC listens on 0.0.0.0 instead of 127.0.0.1.</summary>
    public bool VncExternal { get; init; }

    public string? VncPassword { get; init; }

    /// <summary>The libvirt dir pool holding every node disk; infrared's defaults.</summary>
    public string PoolName { get; init; } = "images";

    public string PoolPath { get; init; } = "/var/lib/libvirt/images";

    /// <summary>Public keys (OpenSSH lines) the NoCloud seed of OS nodes authorises; `up` passes the workspace key.</summary>
    public IReadOnlyList<string> SeedAuthorizedKeys { get; init; } = [];

    /// <summary>OVMF firmware for UEFI nodes (Debian's ovmf package paths).</summary>
    public string UefiLoader { get; init; } = "/usr/share/OVMF/OVMF_CODE_4M.fd";

    public string UefiVarsTemplate { get; init; } = "/usr/share/OVMF/OVMF_VARS_4M.fd";

    /// <summary>Where each UEFI node's own copy of the variable store lives (libvirt's default directory).</summary>
    public string NvramDirectory { get; init; } = "/var/lib/libvirt/qemu/nvram";

    /// <summary>Host path of a node disk: disks are plain files in the pool directory.</summary>
    public string DiskPath(Topology.NodeDisk disk) => VolumePath(disk.VolumeName);

    /// <summary>Path of a volume of the pool (a dir pool: the file of that name in <see cref="PoolPath"/>).</summary>
    public string VolumePath(string volumeName) => $"{PoolPath.TrimEnd('/')}/{volumeName}";

    public string SerialLogPath(string domainName) => $"{SerialLogDirectory.TrimEnd('/')}/{domainName}-serial.log";

    public string NvramPath(string domainName) => $"{NvramDirectory.TrimEnd('/')}/{domainName}_VARS.fd";
}

public enum DomainType
{
    Kvm,
    Qemu,
}
