namespace VMetal.Libvirt;

/// <summary>virConnectListAllStoragePoolsFlags (state and autostart subset); none = every pool.</summary>
[Flags]
public enum StoragePoolListFlags : uint
{
    None = 0,
    Inactive = 1 << 0,
    Active = 1 << 1,
    Persistent = 1 << 2,
    Transient = 1 << 3,
    Autostart = 1 << 4,
    NoAutostart = 1 << 5,
    Dir = 1 << 6,
}

/// <summary>virStoragePoolBuildFlags.</summary>
[Flags]
public enum StoragePoolBuildFlags : uint
{
    New = 0,
    Repair = 1 << 0,
    Resize = 1 << 1,
    NoOverwrite = 1 << 2,
    Overwrite = 1 << 3,
}

/// <summary>virStoragePoolCreateFlags.</summary>
[Flags]
public enum StoragePoolCreateFlags : uint
{
    Normal = 0,
    WithBuild = 1 << 0,
    WithBuildOverwrite = 1 << 1,
    WithBuildNoOverwrite = 1 << 2,
}

/// <summary>virStorageXMLFlags.</summary>
[Flags]
public enum StorageXmlFlags : uint
{
    None = 0,
    Inactive = 1 << 0,
}

/// <summary>virStorageVolCreateFlags.</summary>
[Flags]
public enum StorageVolumeCreateFlags : uint
{
    None = 0,
    /// <summary>Allocate qcow2 metadata up front (faster first writes, still sparse).</summary>
    PreallocMetadata = 1 << 0,
    Reflink = 1 << 1,
    Validate = 1 << 2,
}

/// <summary>virStorageVolDeleteFlags.</summary>
[Flags]
public enum StorageVolumeDeleteFlags : uint
{
    Normal = 0,
    Zeroed = 1 << 0,
    WithSnapshots = 1 << 1,
}

/// <summary>virStorageVolResizeFlags.</summary>
[Flags]
public enum StorageVolumeResizeFlags : uint
{
    None = 0,
    Allocate = 1 << 0,
    Delta = 1 << 1,
    Shrink = 1 << 2,
}

/// <summary>virStorageVolType.</summary>
public enum StorageVolumeType
{
    File = 0,
    Block = 1,
    Dir = 2,
    Network = 3,
    NetDir = 4,
    Ploop = 5,
}

/// <summary>virStorageVolInfo: sizes in bytes.</summary>
public sealed record StorageVolumeInfo(StorageVolumeType Type, ulong Capacity, ulong Allocation);
