using VMetal.Libvirt.Protocol;
using VMetal.Libvirt.Xdr;

namespace VMetal.Libvirt;

public sealed partial class LibvirtClient
{
    private const int DomainListMax = 16384;
    private const int InterfaceMax = 2048;
    private const int SendKeyMax = 16;

    private static readonly XdrEncoder<(DomainRef, uint)> WriteDomainAndFlags = RemoteTypes.HandleAndValue<DomainRef>(RemoteTypes.WriteDomain);

    /// <summary>virConnectListAllDomains.</summary>
    public async Task<IReadOnlyList<DomainRef>> ListAllDomainsAsync(DomainListFlags flags = DomainListFlags.None,
        CancellationToken cancellationToken = default) =>
        await CallAsync(RemoteProcedure.ConnectListAllDomains, flags, static (w, f) => { w.WriteInt(1); w.WriteUInt((uint)f); },
            static (ref XdrReader r) => RemoteTypes.ReadList(ref r, RemoteTypes.ReadDomain, DomainListMax), cancellationToken);

    /// <summary>virDomainLookupByName; a missing domain throws with <see cref="LibvirtErrorCode.NoDomain"/>.</summary>
    public Task<DomainRef> DomainLookupByNameAsync(string name, CancellationToken cancellationToken = default) =>
        CallAsync(RemoteProcedure.DomainLookupByName, name, static (w, n) => w.WriteString(n), RemoteTypes.ReadDomain, cancellationToken);

    public Task<DomainRef> DomainLookupByUuidAsync(Guid uuid, CancellationToken cancellationToken = default) =>
        CallAsync(RemoteProcedure.DomainLookupByUuid, uuid, static (w, u) => w.WriteUuid(u), RemoteTypes.ReadDomain, cancellationToken);

    /// <summary>virDomainDefineXMLFlags: defines a persistent domain, or replaces the definition of one with the same name and UUID.</summary>
    public Task<DomainRef> DomainDefineXmlAsync(string xml, DomainDefineFlags flags = DomainDefineFlags.None,
        CancellationToken cancellationToken = default) =>
        flags == DomainDefineFlags.None
            ? CallAsync(RemoteProcedure.DomainDefineXml, xml, static (w, x) => w.WriteString(x), RemoteTypes.ReadDomain, cancellationToken)
            : CallAsync(RemoteProcedure.DomainDefineXmlFlags, (Xml: xml, Flags: flags),
                static (w, a) => { w.WriteString(a.Xml); w.WriteUInt((uint)a.Flags); }, RemoteTypes.ReadDomain, cancellationToken);

    /// <summary>virDomainUndefineFlags (use <see cref="DomainUndefineFlags.Nvram"/> for UEFI domains).</summary>
    public Task DomainUndefineAsync(DomainRef domain, DomainUndefineFlags flags = DomainUndefineFlags.None,
        CancellationToken cancellationToken = default) =>
        CallAsync(RemoteProcedure.DomainUndefineFlags, (domain, (uint)flags), WriteDomainAndFlags, cancellationToken);

    /// <summary>virDomainCreateWithFlags: starts a defined domain. Returns the handle with the running id.</summary>
    public Task<DomainRef> DomainCreateAsync(DomainRef domain, DomainCreateFlags flags = DomainCreateFlags.None,
        CancellationToken cancellationToken = default) =>
        CallAsync(RemoteProcedure.DomainCreateWithFlags, (domain, (uint)flags), WriteDomainAndFlags, RemoteTypes.ReadDomain, cancellationToken);

    /// <summary>virDomainDestroyFlags: hard power-off.</summary>
    public Task DomainDestroyAsync(DomainRef domain, DomainDestroyFlags flags = DomainDestroyFlags.None,
        CancellationToken cancellationToken = default) =>
        CallAsync(RemoteProcedure.DomainDestroyFlags, (domain, (uint)flags), WriteDomainAndFlags, cancellationToken);

    /// <summary>virDomainShutdownFlags: asks the guest to power off (ACPI by default); returns before it has.</summary>
    public Task DomainShutdownAsync(DomainRef domain, GuestPowerMethods methods = GuestPowerMethods.Default,
        CancellationToken cancellationToken = default) =>
        CallAsync(RemoteProcedure.DomainShutdownFlags, (domain, (uint)methods), WriteDomainAndFlags, cancellationToken);

    /// <summary>virDomainReboot: asks the guest to reboot.</summary>
    public Task DomainRebootAsync(DomainRef domain, GuestPowerMethods methods = GuestPowerMethods.Default,
        CancellationToken cancellationToken = default) =>
        CallAsync(RemoteProcedure.DomainReboot, (domain, (uint)methods), WriteDomainAndFlags, cancellationToken);

    /// <summary>virDomainResume: lets a paused domain (e.g. one started with <see cref="DomainCreateFlags.Paused"/>) run.</summary>
    public Task DomainResumeAsync(DomainRef domain, CancellationToken cancellationToken = default) =>
        CallAsync(RemoteProcedure.DomainResume, domain, RemoteTypes.WriteDomain, cancellationToken);

    /// <summary>virDomainReset: hard reset, like pressing the reset button.</summary>
    public Task DomainResetAsync(DomainRef domain, CancellationToken cancellationToken = default) =>
        CallAsync(RemoteProcedure.DomainReset, (domain, 0u), WriteDomainAndFlags, cancellationToken);

    /// <summary>
    /// virDomainOpenConsole: connects to a running domain's console (<paramref name="deviceName"/> null: the first
    /// console or serial port, as with <c>virsh console</c>). Read the guest's output and type into it through the
    /// returned stream. libvirt (9.0 at least) does not end the stream when the domain is destroyed, its pty just goes
    /// quiet: watch the domain's lifecycle events and abort the stream then. A domain that is not running is refused with
    /// <see cref="LibvirtException.IsOperationInvalid"/>; a console another client holds is refused unless
    /// <see cref="DomainConsoleFlags.Force"/> takes it over. Up to <paramref name="bufferedPackets"/> unread packets are
    /// kept; older ones are dropped.
    /// </summary>
    public async Task<LibvirtStream> DomainOpenConsoleAsync(DomainRef domain, string? deviceName = null,
        DomainConsoleFlags flags = DomainConsoleFlags.None, int bufferedPackets = 1024, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bufferedPackets, 1);
        var (serial, state) = await _rpc.OpenStreamAsync(RemoteProcedure.DomainOpenConsole, (Domain: domain, Device: deviceName, Flags: flags),
            static (w, a) => { RemoteTypes.WriteDomain(w, a.Domain); w.WriteOptionalString(a.Device); w.WriteUInt((uint)a.Flags); },
            bufferedPackets, cancellationToken);
        return new LibvirtStream(_rpc, RemoteProcedure.DomainOpenConsole, serial, state);
    }

    /// <summary>virDomainInjectNMI: sends a non-maskable interrupt (a BMC's "diagnostic interrupt").</summary>
    public Task DomainInjectNmiAsync(DomainRef domain, CancellationToken cancellationToken = default) =>
        CallAsync(RemoteProcedure.DomainInjectNmi, (domain, 0u), WriteDomainAndFlags, cancellationToken);

    /// <summary>
    /// virDomainUpdateDeviceFlags: changes one device in place, such as the medium in a CD-ROM drive (the device is
    /// found by its target). <see cref="DomainDeviceModifyFlags.Live"/> needs a running domain.
    /// </summary>
    public Task DomainUpdateDeviceAsync(DomainRef domain, string deviceXml, DomainDeviceModifyFlags flags = DomainDeviceModifyFlags.Current,
        CancellationToken cancellationToken = default) =>
        CallAsync(RemoteProcedure.DomainUpdateDeviceFlags, (Domain: domain, Xml: deviceXml, Flags: flags),
            static (w, a) => { RemoteTypes.WriteDomain(w, a.Domain); w.WriteString(a.Xml); w.WriteUInt((uint)a.Flags); }, cancellationToken);

    /// <summary>
    /// <see cref="DomainUpdateDeviceAsync"/> for a removable medium (insert or eject), retried while QEMU refuses it
    /// because the drive's tray has not finished moving (<see cref="LibvirtException.IsTrayNotOpen"/>), which busy hosts
    /// show right after a start or another change. Other errors surface at once.
    /// </summary>
    public async Task DomainChangeMediumAsync(DomainRef domain, string deviceXml, DomainDeviceModifyFlags flags,
        CancellationToken cancellationToken = default)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await DomainUpdateDeviceAsync(domain, deviceXml, flags, cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (LibvirtException ex) when (attempt < 4 && ex.IsTrayNotOpen)
            {
                await Task.Delay(TimeSpan.FromSeconds(attempt), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>virDomainSendKey: presses <paramref name="keycodes"/> together for <paramref name="holdTimeMs"/> ms.</summary>
    public Task DomainSendKeyAsync(DomainRef domain, KeycodeSet codeset, uint holdTimeMs, IReadOnlyList<uint> keycodes,
        CancellationToken cancellationToken = default)
    {
        if (keycodes.Count is 0 or > SendKeyMax)
            throw new ArgumentOutOfRangeException(nameof(keycodes), $"Between 1 and {SendKeyMax} key codes can be sent at once.");
        return CallAsync(RemoteProcedure.DomainSendKey, (Domain: domain, Codeset: codeset, Hold: holdTimeMs, Keys: keycodes),
            static (w, a) =>
            {
                RemoteTypes.WriteDomain(w, a.Domain);
                w.WriteUInt((uint)a.Codeset);
                w.WriteUInt(a.Hold);
                w.WriteArray(a.Keys, static (kw, k) => kw.WriteUInt(k), SendKeyMax);
                w.WriteUInt(0);
            }, cancellationToken);
    }

    /// <summary>virDomainGetState: state and reason.</summary>
    public Task<DomainStateInfo> DomainGetStateAsync(DomainRef domain, CancellationToken cancellationToken = default) =>
        CallAsync(RemoteProcedure.DomainGetState, (domain, 0u), WriteDomainAndFlags,
            static (ref XdrReader r) => new DomainStateInfo((DomainState)r.ReadInt(), r.ReadInt()), cancellationToken);

    /// <summary>virDomainGetInfo.</summary>
    public Task<DomainInfo> DomainGetInfoAsync(DomainRef domain, CancellationToken cancellationToken = default) =>
        CallAsync(RemoteProcedure.DomainGetInfo, domain, RemoteTypes.WriteDomain,
            static (ref XdrReader r) => new DomainInfo((DomainState)r.ReadUInt(), r.ReadUHyper(), r.ReadUHyper(),
                (int)r.ReadUInt(), r.ReadUHyper()), cancellationToken);

    /// <summary>virDomainGetXMLDesc.</summary>
    public Task<string> DomainGetXmlDescAsync(DomainRef domain, DomainXmlFlags flags = DomainXmlFlags.None,
        CancellationToken cancellationToken = default) =>
        CallAsync(RemoteProcedure.DomainGetXmlDesc, (domain, (uint)flags), WriteDomainAndFlags, RemoteTypes.ReadString, cancellationToken);

    /// <summary>virDomainIsActive: whether the domain is running (or paused).</summary>
    public Task<bool> DomainIsActiveAsync(DomainRef domain, CancellationToken cancellationToken = default) =>
        CallAsync(RemoteProcedure.DomainIsActive, domain, RemoteTypes.WriteDomain, RemoteTypes.ReadIntAsBool, cancellationToken);

    /// <summary>virDomainSetAutostart: start the domain when libvirtd starts.</summary>
    public Task DomainSetAutostartAsync(DomainRef domain, bool autostart, CancellationToken cancellationToken = default) =>
        CallAsync(RemoteProcedure.DomainSetAutostart, (domain, autostart ? 1u : 0u), WriteDomainAndFlags, cancellationToken);

    public Task<bool> DomainGetAutostartAsync(DomainRef domain, CancellationToken cancellationToken = default) =>
        CallAsync(RemoteProcedure.DomainGetAutostart, domain, RemoteTypes.WriteDomain, RemoteTypes.ReadIntAsBool, cancellationToken);

    /// <summary>
    /// virDomainSetMetadata. For <see cref="DomainMetadataType.Element"/>, <paramref name="metadata"/> is one XML
    /// element (null removes it), <paramref name="key"/> its namespace prefix and <paramref name="uri"/> its namespace.
    /// </summary>
    public Task DomainSetMetadataAsync(DomainRef domain, DomainMetadataType type, string? metadata, string? key, string? uri,
        DomainModificationImpact impact = DomainModificationImpact.Current, CancellationToken cancellationToken = default) =>
        CallAsync(RemoteProcedure.DomainSetMetadata, (Domain: domain, Type: type, Metadata: metadata, Key: key, Uri: uri, Impact: impact),
            static (w, a) =>
            {
                RemoteTypes.WriteDomain(w, a.Domain);
                w.WriteInt((int)a.Type);
                w.WriteOptionalString(a.Metadata);
                w.WriteOptionalString(a.Key);
                w.WriteOptionalString(a.Uri);
                w.WriteUInt((uint)a.Impact);
            }, cancellationToken);

    /// <summary>virDomainGetMetadata; missing metadata throws with <see cref="LibvirtErrorCode.NoDomainMetadata"/>.</summary>
    public Task<string> DomainGetMetadataAsync(DomainRef domain, DomainMetadataType type, string? uri,
        DomainModificationImpact impact = DomainModificationImpact.Current, CancellationToken cancellationToken = default) =>
        CallAsync(RemoteProcedure.DomainGetMetadata, (Domain: domain, Type: type, Uri: uri, Impact: impact),
            static (w, a) =>
            {
                RemoteTypes.WriteDomain(w, a.Domain);
                w.WriteInt((int)a.Type);
                w.WriteOptionalString(a.Uri);
                w.WriteUInt((uint)a.Impact);
            }, RemoteTypes.ReadString, cancellationToken);

    /// <summary>virDomainInterfaceAddresses: guest addresses, by default from libvirt's DHCP leases.</summary>
    public async Task<IReadOnlyList<DomainInterface>> DomainInterfaceAddressesAsync(DomainRef domain,
        DomainInterfaceAddressSource source = DomainInterfaceAddressSource.Lease, CancellationToken cancellationToken = default) =>
        await CallAsync(RemoteProcedure.DomainInterfaceAddresses, (Domain: domain, Source: source),
            static (w, a) =>
            {
                RemoteTypes.WriteDomain(w, a.Domain);
                w.WriteUInt((uint)a.Source);
                w.WriteUInt(0);
            },
            static (ref XdrReader r) => r.ReadArray(ReadInterface, InterfaceMax), cancellationToken);

    private static DomainInterface ReadInterface(ref XdrReader reader) =>
        new(reader.ReadString(), reader.ReadOptionalString(),
            reader.ReadArray(static (ref XdrReader r) => new DomainIPAddress((IPAddressType)r.ReadInt(), r.ReadString(), r.ReadUInt()), InterfaceMax));

}
