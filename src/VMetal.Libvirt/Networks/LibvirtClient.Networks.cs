using VMetal.Libvirt.Protocol;
using VMetal.Libvirt.Xdr;

namespace VMetal.Libvirt;

public sealed partial class LibvirtClient
{
    private const int NetworkListMax = 16384;
    private const int DhcpLeasesMax = 65536;

    private static readonly XdrEncoder<(NetworkRef, uint)> WriteNetworkAndFlags = RemoteTypes.HandleAndValue<NetworkRef>(RemoteTypes.WriteNetwork);

    /// <summary>virConnectListAllNetworks.</summary>
    public async Task<IReadOnlyList<NetworkRef>> ListAllNetworksAsync(NetworkListFlags flags = NetworkListFlags.None,
        CancellationToken cancellationToken = default) =>
        await CallAsync(RemoteProcedure.ConnectListAllNetworks, flags, static (w, f) => { w.WriteInt(1); w.WriteUInt((uint)f); },
            static (ref XdrReader r) => RemoteTypes.ReadList(ref r, RemoteTypes.ReadNetwork, NetworkListMax), cancellationToken);

    /// <summary>virNetworkLookupByName; a missing network throws with <see cref="LibvirtErrorCode.NoNetwork"/>.</summary>
    public Task<NetworkRef> NetworkLookupByNameAsync(string name, CancellationToken cancellationToken = default) =>
        CallAsync(RemoteProcedure.NetworkLookupByName, name, static (w, n) => w.WriteString(n), RemoteTypes.ReadNetwork, cancellationToken);

    public Task<NetworkRef> NetworkLookupByUuidAsync(Guid uuid, CancellationToken cancellationToken = default) =>
        CallAsync(RemoteProcedure.NetworkLookupByUuid, uuid, static (w, u) => w.WriteUuid(u), RemoteTypes.ReadNetwork, cancellationToken);

    /// <summary>virNetworkDefineXMLFlags (plain virNetworkDefineXML without flags, which libvirt before 7.7 also knows).</summary>
    public Task<NetworkRef> NetworkDefineXmlAsync(string xml, NetworkDefineFlags flags = NetworkDefineFlags.None,
        CancellationToken cancellationToken = default) =>
        flags == NetworkDefineFlags.None
            ? CallAsync(RemoteProcedure.NetworkDefineXml, xml, static (w, x) => w.WriteString(x), RemoteTypes.ReadNetwork, cancellationToken)
            : CallAsync(RemoteProcedure.NetworkDefineXmlFlags, (Xml: xml, Flags: flags),
                static (w, a) => { w.WriteString(a.Xml); w.WriteUInt((uint)a.Flags); }, RemoteTypes.ReadNetwork, cancellationToken);

    /// <summary>virNetworkCreate: starts a defined network.</summary>
    public Task NetworkCreateAsync(NetworkRef network, CancellationToken cancellationToken = default) =>
        CallAsync(RemoteProcedure.NetworkCreate, network, RemoteTypes.WriteNetwork, cancellationToken);

    public Task NetworkDestroyAsync(NetworkRef network, CancellationToken cancellationToken = default) =>
        CallAsync(RemoteProcedure.NetworkDestroy, network, RemoteTypes.WriteNetwork, cancellationToken);

    public Task NetworkUndefineAsync(NetworkRef network, CancellationToken cancellationToken = default) =>
        CallAsync(RemoteProcedure.NetworkUndefine, network, RemoteTypes.WriteNetwork, cancellationToken);

    public Task<string> NetworkGetXmlDescAsync(NetworkRef network, NetworkXmlFlags flags = NetworkXmlFlags.None,
        CancellationToken cancellationToken = default) =>
        CallAsync(RemoteProcedure.NetworkGetXmlDesc, (network, (uint)flags), WriteNetworkAndFlags, RemoteTypes.ReadString, cancellationToken);

    public Task<bool> NetworkIsActiveAsync(NetworkRef network, CancellationToken cancellationToken = default) =>
        CallAsync(RemoteProcedure.NetworkIsActive, network, RemoteTypes.WriteNetwork, RemoteTypes.ReadIntAsBool, cancellationToken);

    public Task NetworkSetAutostartAsync(NetworkRef network, bool autostart, CancellationToken cancellationToken = default) =>
        CallAsync(RemoteProcedure.NetworkSetAutostart, (network, autostart ? 1u : 0u), WriteNetworkAndFlags, cancellationToken);

    public Task<bool> NetworkGetAutostartAsync(NetworkRef network, CancellationToken cancellationToken = default) =>
        CallAsync(RemoteProcedure.NetworkGetAutostart, network, RemoteTypes.WriteNetwork, RemoteTypes.ReadIntAsBool, cancellationToken);

    /// <summary>
    /// virNetworkUpdate, e.g. adding or deleting a DHCP host:
    /// <c>NetworkUpdateAsync(net, NetworkUpdateCommand.AddLast, NetworkUpdateSection.IPDhcpHost, -1,
    /// "&lt;host mac='52:54:00:00:00:01' ip='198.18.100.10'/&gt;", NetworkUpdateFlags.Live | NetworkUpdateFlags.Config)</c>.
    /// </summary>
    public async Task NetworkUpdateAsync(NetworkRef network, NetworkUpdateCommand command, NetworkUpdateSection section,
        int parentIndex, string xml, NetworkUpdateFlags flags = NetworkUpdateFlags.Current,
        CancellationToken cancellationToken = default)
    {
        // Older libvirt servers read command and section swapped; like libvirt's own client,
        // send them swapped unless the server reports the fix (VIR_DRV_FEATURE_NETWORK_UPDATE_HAS_CORRECT_ORDER).
        var correctOrder = await NetworkUpdateHasCorrectOrderAsync(cancellationToken);
        var (first, second) = correctOrder ? ((uint)command, (uint)section) : ((uint)section, (uint)command);
        await CallAsync(RemoteProcedure.NetworkUpdate,
            (Network: network, First: first, Second: second, ParentIndex: parentIndex, Xml: xml, Flags: flags),
            static (w, a) =>
            {
                RemoteTypes.WriteNetwork(w, a.Network);
                w.WriteUInt(a.First);
                w.WriteUInt(a.Second);
                w.WriteInt(a.ParentIndex);
                w.WriteString(a.Xml);
                w.WriteUInt((uint)a.Flags);
            }, cancellationToken);
    }

    /// <summary>virNetworkGetDHCPLeases, optionally only the leases of one MAC address.</summary>
    public async Task<IReadOnlyList<NetworkDhcpLease>> NetworkGetDhcpLeasesAsync(NetworkRef network, string? macAddress = null,
        CancellationToken cancellationToken = default) =>
        await CallAsync(RemoteProcedure.NetworkGetDhcpLeases, (Network: network, Mac: macAddress),
            static (w, a) =>
            {
                RemoteTypes.WriteNetwork(w, a.Network);
                w.WriteOptionalString(a.Mac);
                w.WriteInt(1);
                w.WriteUInt(0);
            },
            static (ref XdrReader r) => RemoteTypes.ReadList(ref r, ReadLease, DhcpLeasesMax), cancellationToken);

    private static NetworkDhcpLease ReadLease(ref XdrReader reader) => new(
        Interface: reader.ReadString(),
        ExpiryTime: DateTimeOffset.FromUnixTimeSeconds(reader.ReadHyper()),
        Type: (IPAddressType)reader.ReadInt(),
        MacAddress: reader.ReadOptionalString(),
        Iaid: reader.ReadOptionalString(),
        IPAddress: reader.ReadString(),
        Prefix: reader.ReadUInt(),
        Hostname: reader.ReadOptionalString(),
        ClientId: reader.ReadOptionalString());

    private Task<bool> NetworkUpdateHasCorrectOrderAsync(CancellationToken cancellationToken)
    {
        var probe = _networkUpdateHasCorrectOrder;
        if (probe is null || probe.IsFaulted || probe.IsCanceled)
        {
            probe = SupportsFeatureAsync((int)DriverFeature.NetworkUpdateHasCorrectOrder, CancellationToken.None);
            _networkUpdateHasCorrectOrder = probe;
        }
        return probe.WaitAsync(cancellationToken);
    }
}
