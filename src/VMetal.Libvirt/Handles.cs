namespace VMetal.Libvirt;

/// <summary>
/// A domain as libvirt identifies it on the wire. <see cref="Id"/> is the running instance's id,
/// -1 while the domain is not running; it is a snapshot taken when the handle was returned.
/// </summary>
public sealed record DomainRef(string Name, Guid Uuid, int Id);

/// <summary>A virtual network as libvirt identifies it on the wire.</summary>
public sealed record NetworkRef(string Name, Guid Uuid);

/// <summary>A storage pool as libvirt identifies it on the wire.</summary>
public sealed record StoragePoolRef(string Name, Guid Uuid);

/// <summary>A storage volume: its pool's name, its name in the pool, and its key (usually the path).</summary>
public sealed record StorageVolumeRef(string Pool, string Name, string Key);

/// <summary>A snapshot of a domain.</summary>
public sealed record DomainSnapshotRef(string Name, DomainRef Domain);
