using VMetal.Libvirt.Protocol;
using VMetal.Libvirt.Xdr;

namespace VMetal.Libvirt;

public sealed partial class LibvirtClient
{
    private const int StoragePoolListMax = 16384;
    private const int StorageVolumeListMax = 16384;

    private static readonly XdrEncoder<(StoragePoolRef, uint)> WritePoolAndValue = RemoteTypes.HandleAndValue<StoragePoolRef>(RemoteTypes.WriteStoragePool);
    private static readonly XdrEncoder<(StorageVolumeRef, uint)> WriteVolumeAndFlags = RemoteTypes.HandleAndValue<StorageVolumeRef>(RemoteTypes.WriteStorageVolume);

    /// <summary>virConnectListAllStoragePools.</summary>
    public async Task<IReadOnlyList<StoragePoolRef>> ListAllStoragePoolsAsync(StoragePoolListFlags flags = StoragePoolListFlags.None,
        CancellationToken cancellationToken = default) =>
        await CallAsync(RemoteProcedure.ConnectListAllStoragePools, flags, static (w, f) => { w.WriteInt(1); w.WriteUInt((uint)f); },
            static (ref XdrReader r) => RemoteTypes.ReadList(ref r, RemoteTypes.ReadStoragePool, StoragePoolListMax), cancellationToken);

    /// <summary>virStoragePoolLookupByName; a missing pool throws with <see cref="LibvirtErrorCode.NoStoragePool"/>.</summary>
    public Task<StoragePoolRef> StoragePoolLookupByNameAsync(string name, CancellationToken cancellationToken = default) =>
        CallAsync(RemoteProcedure.StoragePoolLookupByName, name, static (w, n) => w.WriteString(n), RemoteTypes.ReadStoragePool, cancellationToken);

    public Task<StoragePoolRef> StoragePoolLookupByUuidAsync(Guid uuid, CancellationToken cancellationToken = default) =>
        CallAsync(RemoteProcedure.StoragePoolLookupByUuid, uuid, static (w, u) => w.WriteUuid(u), RemoteTypes.ReadStoragePool, cancellationToken);

    /// <summary>virStoragePoolDefineXML.</summary>
    public Task<StoragePoolRef> StoragePoolDefineXmlAsync(string xml, CancellationToken cancellationToken = default) =>
        CallAsync(RemoteProcedure.StoragePoolDefineXml, xml, static (w, x) => { w.WriteString(x); w.WriteUInt(0); },
            RemoteTypes.ReadStoragePool, cancellationToken);

    /// <summary>virStoragePoolBuild: e.g. creates a dir pool's directory.</summary>
    public Task StoragePoolBuildAsync(StoragePoolRef pool, StoragePoolBuildFlags flags = StoragePoolBuildFlags.New,
        CancellationToken cancellationToken = default) =>
        CallAsync(RemoteProcedure.StoragePoolBuild, (pool, (uint)flags), WritePoolAndValue, cancellationToken);

    /// <summary>virStoragePoolCreate: starts (activates) a defined pool.</summary>
    public Task StoragePoolCreateAsync(StoragePoolRef pool, StoragePoolCreateFlags flags = StoragePoolCreateFlags.Normal,
        CancellationToken cancellationToken = default) =>
        CallAsync(RemoteProcedure.StoragePoolCreate, (pool, (uint)flags), WritePoolAndValue, cancellationToken);

    public Task StoragePoolDestroyAsync(StoragePoolRef pool, CancellationToken cancellationToken = default) =>
        CallAsync(RemoteProcedure.StoragePoolDestroy, pool, RemoteTypes.WriteStoragePool, cancellationToken);

    public Task StoragePoolUndefineAsync(StoragePoolRef pool, CancellationToken cancellationToken = default) =>
        CallAsync(RemoteProcedure.StoragePoolUndefine, pool, RemoteTypes.WriteStoragePool, cancellationToken);

    /// <summary>virStoragePoolRefresh: rescans the pool, e.g. after files were copied into its directory.</summary>
    public Task StoragePoolRefreshAsync(StoragePoolRef pool, CancellationToken cancellationToken = default) =>
        CallAsync(RemoteProcedure.StoragePoolRefresh, (pool, 0u), WritePoolAndValue, cancellationToken);

    public Task StoragePoolSetAutostartAsync(StoragePoolRef pool, bool autostart, CancellationToken cancellationToken = default) =>
        CallAsync(RemoteProcedure.StoragePoolSetAutostart, (pool, autostart ? 1u : 0u), WritePoolAndValue, cancellationToken);

    public Task<bool> StoragePoolGetAutostartAsync(StoragePoolRef pool, CancellationToken cancellationToken = default) =>
        CallAsync(RemoteProcedure.StoragePoolGetAutostart, pool, RemoteTypes.WriteStoragePool, RemoteTypes.ReadIntAsBool, cancellationToken);

    public Task<bool> StoragePoolIsActiveAsync(StoragePoolRef pool, CancellationToken cancellationToken = default) =>
        CallAsync(RemoteProcedure.StoragePoolIsActive, pool, RemoteTypes.WriteStoragePool, RemoteTypes.ReadIntAsBool, cancellationToken);

    public Task<string> StoragePoolGetXmlDescAsync(StoragePoolRef pool, StorageXmlFlags flags = StorageXmlFlags.None,
        CancellationToken cancellationToken = default) =>
        CallAsync(RemoteProcedure.StoragePoolGetXmlDesc, (pool, (uint)flags), WritePoolAndValue, RemoteTypes.ReadString, cancellationToken);

    /// <summary>virStoragePoolListAllVolumes.</summary>
    public async Task<IReadOnlyList<StorageVolumeRef>> StoragePoolListAllVolumesAsync(StoragePoolRef pool,
        CancellationToken cancellationToken = default) =>
        await CallAsync(RemoteProcedure.StoragePoolListAllVolumes, pool,
            static (w, p) => { RemoteTypes.WriteStoragePool(w, p); w.WriteInt(1); w.WriteUInt(0); },
            static (ref XdrReader r) => RemoteTypes.ReadList(ref r, RemoteTypes.ReadStorageVolume, StorageVolumeListMax), cancellationToken);

    /// <summary>virStorageVolLookupByName; a missing volume throws with <see cref="LibvirtErrorCode.NoStorageVolume"/>.</summary>
    public Task<StorageVolumeRef> StorageVolLookupByNameAsync(StoragePoolRef pool, string name, CancellationToken cancellationToken = default) =>
        CallAsync(RemoteProcedure.StorageVolLookupByName, (Pool: pool, Name: name),
            static (w, a) => { RemoteTypes.WriteStoragePool(w, a.Pool); w.WriteString(a.Name); },
            RemoteTypes.ReadStorageVolume, cancellationToken);

    /// <summary>virStorageVolLookupByPath: the volume of any active pool whose target is <paramref name="path"/>.</summary>
    public Task<StorageVolumeRef> StorageVolLookupByPathAsync(string path, CancellationToken cancellationToken = default) =>
        CallAsync(RemoteProcedure.StorageVolLookupByPath, path, static (w, p) => w.WriteString(p), RemoteTypes.ReadStorageVolume, cancellationToken);

    /// <summary>virStorageVolCreateXML.</summary>
    public Task<StorageVolumeRef> StorageVolCreateXmlAsync(StoragePoolRef pool, string xml,
        StorageVolumeCreateFlags flags = StorageVolumeCreateFlags.None, CancellationToken cancellationToken = default) =>
        CallAsync(RemoteProcedure.StorageVolCreateXml, (Pool: pool, Xml: xml, Flags: flags),
            static (w, a) => { RemoteTypes.WriteStoragePool(w, a.Pool); w.WriteString(a.Xml); w.WriteUInt((uint)a.Flags); },
            RemoteTypes.ReadStorageVolume, cancellationToken);

    /// <summary>virStorageVolCreateXMLFrom: a new volume in <paramref name="pool"/> holding a copy of <paramref name="source"/>.</summary>
    public Task<StorageVolumeRef> StorageVolCreateXmlFromAsync(StoragePoolRef pool, string xml, StorageVolumeRef source,
        StorageVolumeCreateFlags flags = StorageVolumeCreateFlags.None, CancellationToken cancellationToken = default) =>
        CallAsync(RemoteProcedure.StorageVolCreateXmlFrom, (Pool: pool, Xml: xml, Source: source, Flags: flags),
            static (w, a) =>
            {
                RemoteTypes.WriteStoragePool(w, a.Pool);
                w.WriteString(a.Xml);
                RemoteTypes.WriteStorageVolume(w, a.Source);
                w.WriteUInt((uint)a.Flags);
            }, RemoteTypes.ReadStorageVolume, cancellationToken);

    public Task StorageVolDeleteAsync(StorageVolumeRef volume, StorageVolumeDeleteFlags flags = StorageVolumeDeleteFlags.Normal,
        CancellationToken cancellationToken = default) =>
        CallAsync(RemoteProcedure.StorageVolDelete, (volume, (uint)flags), WriteVolumeAndFlags, cancellationToken);

    public Task<StorageVolumeInfo> StorageVolGetInfoAsync(StorageVolumeRef volume, CancellationToken cancellationToken = default) =>
        CallAsync(RemoteProcedure.StorageVolGetInfo, volume, RemoteTypes.WriteStorageVolume,
            static (ref XdrReader r) => new StorageVolumeInfo((StorageVolumeType)r.ReadInt(), r.ReadUHyper(), r.ReadUHyper()),
            cancellationToken);

    public Task<string> StorageVolGetPathAsync(StorageVolumeRef volume, CancellationToken cancellationToken = default) =>
        CallAsync(RemoteProcedure.StorageVolGetPath, volume, RemoteTypes.WriteStorageVolume, RemoteTypes.ReadString, cancellationToken);

    public Task<string> StorageVolGetXmlDescAsync(StorageVolumeRef volume, CancellationToken cancellationToken = default) =>
        CallAsync(RemoteProcedure.StorageVolGetXmlDesc, (volume, 0u), WriteVolumeAndFlags, RemoteTypes.ReadString, cancellationToken);

    /// <summary>virStorageVolResize to <paramref name="capacity"/> bytes (or by it, with <see cref="StorageVolumeResizeFlags.Delta"/>).</summary>
    public Task StorageVolResizeAsync(StorageVolumeRef volume, ulong capacity,
        StorageVolumeResizeFlags flags = StorageVolumeResizeFlags.None, CancellationToken cancellationToken = default) =>
        CallAsync(RemoteProcedure.StorageVolResize, (Volume: volume, Capacity: capacity, Flags: flags),
            static (w, a) => { RemoteTypes.WriteStorageVolume(w, a.Volume); w.WriteUHyper(a.Capacity); w.WriteUInt((uint)a.Flags); },
            cancellationToken);

    /// <summary>
    /// virStorageVolUpload: streams <paramref name="content"/> into the volume from <paramref name="offset"/>;
    /// <paramref name="length"/> 0 means up to the end of the content. Completes when libvirtd has confirmed the data.
    /// </summary>
    public Task StorageVolUploadAsync(StorageVolumeRef volume, Stream content, ulong offset = 0, ulong length = 0,
        CancellationToken cancellationToken = default) =>
        _rpc.UploadAsync(RemoteProcedure.StorageVolUpload, (Volume: volume, Offset: offset, Length: length),
            static (w, a) =>
            {
                RemoteTypes.WriteStorageVolume(w, a.Volume);
                w.WriteUHyper(a.Offset);
                w.WriteUHyper(a.Length);
                w.WriteUInt(0);
            }, content, length, cancellationToken);
}
