using VMetal.Libvirt.Protocol;
using VMetal.Libvirt.Xdr;

namespace VMetal.Libvirt;

public sealed partial class LibvirtClient
{
    private const int SnapshotListMax = 16384;

    private static readonly XdrEncoder<(DomainSnapshotRef, uint)> WriteSnapshotAndFlags = RemoteTypes.HandleAndValue<DomainSnapshotRef>(RemoteTypes.WriteSnapshot);

    /// <summary>virDomainSnapshotCreateXML.</summary>
    public Task<DomainSnapshotRef> DomainSnapshotCreateXmlAsync(DomainRef domain, string xml,
        SnapshotCreateFlags flags = SnapshotCreateFlags.None, CancellationToken cancellationToken = default) =>
        CallAsync(RemoteProcedure.DomainSnapshotCreateXml, (Domain: domain, Xml: xml, Flags: flags),
            static (w, a) => { RemoteTypes.WriteDomain(w, a.Domain); w.WriteString(a.Xml); w.WriteUInt((uint)a.Flags); },
            RemoteTypes.ReadSnapshot, cancellationToken);

    /// <summary>virDomainListAllSnapshots.</summary>
    public async Task<IReadOnlyList<DomainSnapshotRef>> DomainListAllSnapshotsAsync(DomainRef domain,
        SnapshotListFlags flags = SnapshotListFlags.None, CancellationToken cancellationToken = default) =>
        await CallAsync(RemoteProcedure.DomainListAllSnapshots, (Domain: domain, Flags: flags),
            static (w, a) => { RemoteTypes.WriteDomain(w, a.Domain); w.WriteInt(1); w.WriteUInt((uint)a.Flags); },
            static (ref XdrReader r) => RemoteTypes.ReadList(ref r, RemoteTypes.ReadSnapshot, SnapshotListMax), cancellationToken);

    /// <summary>virDomainSnapshotLookupByName; a missing snapshot throws with <see cref="LibvirtErrorCode.NoDomainSnapshot"/>.</summary>
    public Task<DomainSnapshotRef> DomainSnapshotLookupByNameAsync(DomainRef domain, string name,
        CancellationToken cancellationToken = default) =>
        CallAsync(RemoteProcedure.DomainSnapshotLookupByName, (Domain: domain, Name: name),
            static (w, a) => { RemoteTypes.WriteDomain(w, a.Domain); w.WriteString(a.Name); w.WriteUInt(0); },
            RemoteTypes.ReadSnapshot, cancellationToken);

    public Task<string> DomainSnapshotGetXmlDescAsync(DomainSnapshotRef snapshot, CancellationToken cancellationToken = default) =>
        CallAsync(RemoteProcedure.DomainSnapshotGetXmlDesc, (snapshot, 0u), WriteSnapshotAndFlags, RemoteTypes.ReadString, cancellationToken);

    /// <summary>virDomainRevertToSnapshot.</summary>
    public Task DomainRevertToSnapshotAsync(DomainSnapshotRef snapshot, SnapshotRevertFlags flags = SnapshotRevertFlags.None,
        CancellationToken cancellationToken = default) =>
        CallAsync(RemoteProcedure.DomainRevertToSnapshot, (snapshot, (uint)flags), WriteSnapshotAndFlags, cancellationToken);

    /// <summary>virDomainSnapshotDelete.</summary>
    public Task DomainSnapshotDeleteAsync(DomainSnapshotRef snapshot, SnapshotDeleteFlags flags = SnapshotDeleteFlags.None,
        CancellationToken cancellationToken = default) =>
        CallAsync(RemoteProcedure.DomainSnapshotDelete, (snapshot, (uint)flags), WriteSnapshotAndFlags, cancellationToken);
}
