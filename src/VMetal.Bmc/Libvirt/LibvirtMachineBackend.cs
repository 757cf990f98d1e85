using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using VMetal.Bmc.Machines;
using VMetal.Libvirt;

namespace VMetal.Bmc.Libvirt;

/// <summary>
/// Machines backed by libvirt domains over one long-lived connection. The cache is filled once, then kept
/// current by lifecycle events (each event refreshes that domain from libvirt), so status requests never
/// reach libvirt. Actions check the domain's real state first and refresh it afterwards. A lost connection
/// is re-established with backoff and everything is reloaded; meanwhile actions answer "unavailable".
/// </summary>
/// <remarks>
/// Boot "once": the override is written into the persistent definition together with a note of the order it
/// replaced (<see cref="DomainDefinition"/>). When a domain is found running with that order in its live
/// definition, the boot has used the override and the saved order is put back.
/// </remarks>
public sealed partial class LibvirtMachineBackend : IMachineBackend, IAsyncDisposable
{
    private static readonly TimeSpan MaximumReconnectDelay = TimeSpan.FromSeconds(30);

    private readonly ILibvirtTransport _transport;
    private readonly LibvirtClientOptions _clientOptions;
    private readonly string? _mediaDirectory;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<Guid, (Machine Machine, DomainRef Domain)> _machines = new();
    private readonly ConcurrentDictionary<Guid, SemaphoreSlim> _locks = new();
    private readonly CancellationTokenSource _stop = new();
    private LibvirtClient? _client;
    private Task _supervisor = Task.CompletedTask;
    private int _disposed;

    private LibvirtMachineBackend(ILibvirtTransport transport, LibvirtClientOptions clientOptions, string? mediaDirectory, ILogger logger)
    {
        _transport = transport;
        _clientOptions = clientOptions;
        _mediaDirectory = mediaDirectory;
        _logger = logger;
    }

    public event EventHandler<MachineChangedEventArgs>? Changed;

    public IReadOnlyCollection<Machine> Machines => [.. _machines.Values.Select(entry => entry.Machine)];

    public Machine? Find(Guid id) => _machines.TryGetValue(id, out var entry) ? entry.Machine : null;

    /// <summary>Connects, subscribes to lifecycle events and loads every domain.</summary>
    /// <param name="mediaDirectory">
    /// Where inserted virtual media images are downloaded to; it must be a directory libvirt's QEMU can read (it is on
    /// the hypervisor, where the service runs). Null: virtual media is refused.
    /// </param>
    /// <exception cref="LibvirtException">libvirt cannot be reached or refuses the connection.</exception>
    /// <exception cref="IOException">The transport cannot be opened (e.g. no socket at the path).</exception>
    public static async Task<LibvirtMachineBackend> ConnectAsync(
        ILibvirtTransport transport, ILoggerFactory loggerFactory, CancellationToken cancellationToken, string? mediaDirectory = null,
        LibvirtClientOptions? clientOptions = null)
    {
        var backend = new LibvirtMachineBackend(
            transport, clientOptions ?? new LibvirtClientOptions(), mediaDirectory, loggerFactory.CreateLogger<LibvirtMachineBackend>());
        var subscriptions = await backend.ConnectAndLoadAsync(cancellationToken).ConfigureAwait(false);
        backend._supervisor = Task.Run(() => backend.SuperviseAsync(subscriptions));
        return backend;
    }

    public async Task PowerAsync(Guid id, PowerAction action, CancellationToken cancellationToken)
    {
        await WithDomainAsync(id, async (client, domain) =>
        {
            var running = IsOn((await client.DomainGetStateAsync(domain, cancellationToken).ConfigureAwait(false)).State);
            if (!running && action.NeedsRunningGuest())
            {
                throw new MachineOperationException(MachineErrorKind.InvalidState, $"{domain.Name} is off; {action} needs it on");
            }

            switch (action)
            {
                case PowerAction.On when !running:
                    await client.DomainCreateAsync(domain, cancellationToken: cancellationToken).ConfigureAwait(false);
                    break;
                case PowerAction.ForceOff when running:
                    await client.DomainDestroyAsync(domain, cancellationToken: cancellationToken).ConfigureAwait(false);
                    break;
                case PowerAction.GracefulShutdown when running:
                    await client.DomainShutdownAsync(domain, cancellationToken: cancellationToken).ConfigureAwait(false);
                    break;
                case PowerAction.GracefulRestart:
                    await client.DomainRebootAsync(domain, cancellationToken: cancellationToken).ConfigureAwait(false);
                    break;
                case PowerAction.Nmi:
                    await client.DomainInjectNmiAsync(domain, cancellationToken).ConfigureAwait(false);
                    break;
                case PowerAction.ForceRestart or PowerAction.PowerCycle:
                    // A cold restart rather than virDomainReset: QEMU's reset keeps the boot order the domain started
                    // with, and a restart must take a pending boot override as real firmware does.
                    if (running)
                    {
                        await client.DomainDestroyAsync(domain, cancellationToken: cancellationToken).ConfigureAwait(false);
                    }

                    await client.DomainCreateAsync(domain, cancellationToken: cancellationToken).ConfigureAwait(false);
                    break;
            }

            await RefreshAsync(client, domain, definition: false, cancellationToken).ConfigureAwait(false);
            await RestoreIfOnceUsedAsync(client, domain, cancellationToken).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
    }

    public async Task SetBootAsync(Guid id, BootChange change, CancellationToken cancellationToken)
    {
        string? unusedNvram = null;
        await ChangeDefinitionAsync(id, definition =>
        {
            // Legacy definitions name no variable store, so "undefine --nvram" would no longer find it.
            unusedNvram = change.Mode == BootMode.Legacy && definition.Mode == BootMode.Uefi ? definition.NvramFile : null;
            definition.Apply(change);
        }, cancellationToken).ConfigureAwait(false);
        if (unusedNvram is not null)
        {
            DeleteUnusedNvram(id, unusedNvram);
        }
    }

    /// <summary>
    /// Downloads the image (TLS certificates are not checked, as most BMCs and sushy-tools do not) into the media
    /// directory and puts it into the domain's CD-ROM drive; this host's QEMU cannot read HTTP URLs itself.
    /// </summary>
    public async Task InsertMediaAsync(Guid id, Uri image, CancellationToken cancellationToken)
    {
        var directory = _mediaDirectory ?? throw new MachineOperationException(MachineErrorKind.Unsupported, "virtual media is not enabled (no media directory)");
        if (Find(id) is null)
        {
            throw MachineOperationException.NotFound(id);
        }

        Directory.CreateDirectory(directory);
        var file = Path.Combine(directory, $"{id}.iso");
        await DownloadAsync(image, file, cancellationToken).ConfigureAwait(false);
        // Forced, as the eject is: firmware probing the drive (SeaBIOS at boot) locks the tray, and a BMC's virtual media does
        // not wait for the guest's consent; unforced, QEMU leaves the tray closed and the change fails.
        await ChangeDefinitionAsync(id, definition => definition.InsertMedia(file, image), cancellationToken,
                DomainDeviceModifyFlags.Live | DomainDeviceModifyFlags.Force)
            .ConfigureAwait(false);
    }

    /// <summary>Empties the drive (a running domain's at once, forced past a tray the guest locked), then deletes the image.</summary>
    public async Task EjectMediaAsync(Guid id, CancellationToken cancellationToken)
    {
        await ChangeDefinitionAsync(id, definition => definition.EjectMedia(), cancellationToken, DomainDeviceModifyFlags.Live | DomainDeviceModifyFlags.Force)
            .ConfigureAwait(false);
        if (_mediaDirectory is not null)
        {
            File.Delete(Path.Combine(_mediaDirectory, $"{id}.iso"));
        }
    }

    /// <summary>
    /// The domain's first console (its serial port), taken over from any other client that holds it (<c>virsh console</c>):
    /// the BMC's serial-over-LAN is the console the lab's users asked for, and a holder that went away must not block it.
    /// libvirt does not end the stream when the domain stops, so the console ends itself when the cache sees it off.
    /// </summary>
    public async Task<IMachineConsole> OpenConsoleAsync(Guid id, CancellationToken cancellationToken)
    {
        if (!_machines.TryGetValue(id, out var entry))
        {
            throw MachineOperationException.NotFound(id);
        }

        if (entry.Machine.Power != PowerState.On)
        {
            throw new MachineOperationException(MachineErrorKind.InvalidState, $"{entry.Domain.Name} is off; its console is silent");
        }

        var client = _client ?? throw new MachineOperationException(MachineErrorKind.Unavailable, "not connected to libvirt (reconnecting)");
        try
        {
            var stream = await client.DomainOpenConsoleAsync(entry.Domain, null, DomainConsoleFlags.Force, cancellationToken: cancellationToken)
                .ConfigureAwait(false);
            return new LibvirtMachineConsole(this, id, stream);
        }
        catch (LibvirtException error)
        {
            throw Translate(id, error);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        if (_client is not null)
        {
            await _client.DisposeAsync().ConfigureAwait(false);
        }

        await _supervisor.ConfigureAwait(false);
        _stop.Dispose();
    }

    private static bool IsOn(DomainState state) => state is DomainState.Running or DomainState.Blocked or DomainState.Paused
        or DomainState.Shutdown or DomainState.PmSuspended;

    /// <summary>The event streams of one connection; both end when it does.</summary>
    private sealed record Subscriptions(LibvirtEventStream<DomainLifecycleEvent> Lifecycle, LibvirtEventStream<DomainRebootEvent> Reboots);

    private async Task<Subscriptions> ConnectAndLoadAsync(CancellationToken cancellationToken)
    {
        var client = await LibvirtClient.ConnectAsync(_transport, _clientOptions, cancellationToken).ConfigureAwait(false);
        try
        {
            // Subscribe before listing: an event that races the listing is then applied after it, never lost.
            var events = new Subscriptions(
                await client.SubscribeDomainLifecycleEventsAsync(null, cancellationToken).ConfigureAwait(false),
                await client.SubscribeDomainRebootEventsAsync(null, cancellationToken).ConfigureAwait(false));
            var domains = await client.ListAllDomainsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            await Task.WhenAll(domains.Select(domain => RefreshAsync(client, domain, definition: true, cancellationToken))).ConfigureAwait(false);
            foreach (var gone in _machines.Keys.Except(domains.Select(d => d.Uuid)).ToList())
            {
                Remove(gone);
            }

            _client = client;
            LogConnected(_transport, domains.Count);
            return events;
        }
        catch
        {
            await client.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Applies events until the connection ends, then reconnects (with backoff) and starts over.</summary>
    private async Task SuperviseAsync(Subscriptions events)
    {
        var delay = TimeSpan.FromSeconds(1);
        while (!_stop.IsCancellationRequested)
        {
            var client = _client!;
            // Resets are handled on their own task: one may restart a domain, whose lifecycle events this loop applies meanwhile.
            var reboots = Task.Run(() => ApplyRebootsAsync(client, events.Reboots));
            try
            {
                await foreach (var lifecycle in events.Lifecycle.ReadAllAsync(_stop.Token).ConfigureAwait(false))
                {
                    await ApplyEventAsync(client, lifecycle).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                await reboots.ConfigureAwait(false);
                return;
            }
            catch (LibvirtConnectionException error)
            {
                LogDisconnected(error.Message);
            }

            _client = null;
            await client.DisposeAsync().ConfigureAwait(false);
            await reboots.ConfigureAwait(false);
            while (!_stop.IsCancellationRequested)
            {
                try
                {
                    await Task.Delay(delay, _stop.Token).ConfigureAwait(false);
                    events = await ConnectAndLoadAsync(_stop.Token).ConfigureAwait(false);
                    delay = TimeSpan.FromSeconds(1);
                    break;
                }
                catch (OperationCanceledException) when (_stop.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception error) when (error is LibvirtException or IOException or System.Net.Sockets.SocketException)
                {
                    LogReconnectFailed(error.Message, delay);
                    delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaximumReconnectDelay.Ticks));
                }
            }
        }
    }

    /// <summary>
    /// A reset (the guest rebooting itself, GracefulRestart, <c>virsh reset</c>) keeps the QEMU process, and with it the boot
    /// order and firmware the domain started with; real firmware reads the BMC's boot device at every reset. So a reset of a
    /// domain whose boot settings changed since it started becomes a cold restart, which starts from the current definition.
    /// </summary>
    private async Task ApplyRebootsAsync(LibvirtClient client, LibvirtEventStream<DomainRebootEvent> reboots)
    {
        try
        {
            await foreach (var reboot in reboots.ReadAllAsync(_stop.Token).ConfigureAwait(false))
            {
                try
                {
                    await LockedAsync(reboot.Domain.Uuid, () => RestartIfBootChangedAsync(client, reboot.Domain), _stop.Token).ConfigureAwait(false);
                }
                catch (Exception error) when (error is LibvirtException and not LibvirtConnectionException or System.Xml.XmlException or InvalidOperationException)
                {
                    LogRebootFailed(reboot.Domain.Name, error.Message);
                }
            }
        }
        catch (Exception error) when (error is OperationCanceledException or LibvirtConnectionException)
        {
            // Stopping, or the connection ended: the lifecycle loop reconnects and subscribes again.
        }
    }

    private async Task RestartIfBootChangedAsync(LibvirtClient client, DomainRef domain)
    {
        if (Find(domain.Uuid) is null)
        {
            return; // not a machine this BMC serves
        }

        var persistent = await DefinitionAsync(client, domain, DomainXmlFlags.Inactive, _stop.Token).ConfigureAwait(false);
        var live = await DefinitionAsync(client, domain, DomainXmlFlags.None, _stop.Token).ConfigureAwait(false);
        if (live.BootOrder.SequenceEqual(persistent.BootOrder) && live.Mode == persistent.Mode)
        {
            return;
        }

        LogColdRestart(domain.Name);
        await client.DomainDestroyAsync(domain, cancellationToken: _stop.Token).ConfigureAwait(false);
        await client.DomainCreateAsync(domain, cancellationToken: _stop.Token).ConfigureAwait(false);
    }

    private async Task ApplyEventAsync(LibvirtClient client, DomainLifecycleEvent lifecycle)
    {
        try
        {
            switch (lifecycle.Event)
            {
                case DomainEventType.Undefined:
                    await LockedAsync(lifecycle.Domain.Uuid, () =>
                    {
                        Remove(lifecycle.Domain.Uuid);
                        return Task.CompletedTask;
                    }, _stop.Token).ConfigureAwait(false);
                    break;
                case DomainEventType.Started:
                    await LockedAsync(lifecycle.Domain.Uuid, async () =>
                    {
                        await RefreshAsync(client, lifecycle.Domain, definition: false, _stop.Token).ConfigureAwait(false);
                        await RestoreIfOnceUsedAsync(client, lifecycle.Domain, _stop.Token).ConfigureAwait(false);
                    }, _stop.Token).ConfigureAwait(false);
                    break;
                default:
                    await LockedAsync(lifecycle.Domain.Uuid, () => RefreshAsync(
                        client, lifecycle.Domain, definition: lifecycle.Event == DomainEventType.Defined || Find(lifecycle.Domain.Uuid) is null, _stop.Token),
                        _stop.Token).ConfigureAwait(false);
                    break;
            }
        }
        catch (LibvirtException error) when (error is not LibvirtConnectionException)
        {
            LogEventFailed(lifecycle.Domain.Name, lifecycle.Event, error.Message);
        }
    }

    /// <summary>Reads a domain's state (and its definition when asked or unknown) into the cache; a vanished domain is removed.</summary>
    private async Task RefreshAsync(LibvirtClient client, DomainRef domain, bool definition, CancellationToken cancellationToken)
    {
        try
        {
            var power = IsOn((await client.DomainGetStateAsync(domain, cancellationToken).ConfigureAwait(false)).State) ? PowerState.On : PowerState.Off;
            Machine machine;
            if (definition || Find(domain.Uuid) is not { } known)
            {
                var parsed = await DefinitionAsync(client, domain, DomainXmlFlags.Inactive, cancellationToken).ConfigureAwait(false);
                machine = new Machine(parsed.Uuid, parsed.Name, power, parsed.Boot, parsed.MacAddresses, parsed.MemoryMiB, parsed.ProcessorCount, parsed.Media)
                {
                    Disks = await DisksAsync(client, parsed, cancellationToken).ConfigureAwait(false),
                };
            }
            else
            {
                machine = known with { Power = power };
            }

            _machines[domain.Uuid] = (machine, domain);
            Changed?.Invoke(this, new MachineChangedEventArgs(domain.Uuid, machine));
        }
        catch (LibvirtException error) when (error.IsNotFound)
        {
            Remove(domain.Uuid);
        }
    }

    /// <summary>
    /// The hard disks with the capacity of the storage volume behind each (null for a file no active pool holds). The
    /// lookups of all disks are issued at once: the connection pipelines them, so a machine costs two round trips, not two per disk.
    /// </summary>
    private static async Task<IReadOnlyList<MachineDisk>> DisksAsync(LibvirtClient client, DomainDefinition definition, CancellationToken cancellationToken) =>
        await Task.WhenAll(definition.Disks.Select(async disk =>
            new MachineDisk(disk.Target, disk.SourcePath is null ? null : await CapacityAsync(client, disk.SourcePath, cancellationToken).ConfigureAwait(false))))
            .ConfigureAwait(false);

    private static async Task<long?> CapacityAsync(LibvirtClient client, string path, CancellationToken cancellationToken)
    {
        try
        {
            var volume = await client.StorageVolLookupByPathAsync(path, cancellationToken).ConfigureAwait(false);
            return (long)(await client.StorageVolGetInfoAsync(volume, cancellationToken).ConfigureAwait(false)).Capacity;
        }
        catch (LibvirtException error) when (error is not LibvirtConnectionException)
        {
            // Not in a pool (or the pool is inactive): the size stays unknown rather than failing the whole machine.
            return null;
        }
    }

    /// <summary>If the running instance booted with a pending "once" order, puts the saved order back into the definition.</summary>
    private async Task RestoreIfOnceUsedAsync(LibvirtClient client, DomainRef domain, CancellationToken cancellationToken)
    {
        var persistent = await DefinitionAsync(client, domain, DomainXmlFlags.Inactive, cancellationToken).ConfigureAwait(false);
        if (persistent.PendingOnce is null || Find(domain.Uuid)?.Power != PowerState.On)
        {
            return;
        }

        var live = await DefinitionAsync(client, domain, DomainXmlFlags.None, cancellationToken).ConfigureAwait(false);
        if (!live.BootOrder.SequenceEqual(persistent.BootOrder))
        {
            return; // started before the override was set: it is still to be used
        }

        persistent.RestoreAfterOnce();
        await client.DomainDefineXmlAsync(persistent.ToXml(), cancellationToken: cancellationToken).ConfigureAwait(false);
        await RefreshAsync(client, domain, definition: true, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Reads the persistent definition, changes it and defines it again (the change applies from the next start). With
    /// <paramref name="liveCdrom"/>, a running domain's CD-ROM drive first gets the medium the changed definition has, so what
    /// the BMC reports is what the guest sees; if that fails, the definition stays as it was.
    /// </summary>
    private Task ChangeDefinitionAsync(Guid id, Action<DomainDefinition> change, CancellationToken cancellationToken,
        DomainDeviceModifyFlags? liveCdrom = null) =>
        WithDomainAsync(id, async (client, domain) =>
        {
            var definition = await DefinitionAsync(client, domain, DomainXmlFlags.Inactive, cancellationToken).ConfigureAwait(false);
            change(definition);
            if (liveCdrom is { } flags && IsOn((await client.DomainGetStateAsync(domain, cancellationToken).ConfigureAwait(false)).State))
            {
                var live = await DefinitionAsync(client, domain, DomainXmlFlags.None, cancellationToken).ConfigureAwait(false);
                if (live.LiveCdromChange(definition) is { } device)
                {
                    await client.DomainChangeMediumAsync(domain, device, flags, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    LogCdromAtNextStart(domain.Name);
                }
            }

            await client.DomainDefineXmlAsync(definition.ToXml(), cancellationToken: cancellationToken).ConfigureAwait(false);
            await RefreshAsync(client, domain, definition: true, cancellationToken).ConfigureAwait(false);
        }, cancellationToken);

    private static async Task DownloadAsync(Uri image, string file, CancellationToken cancellationToken)
    {
        var partial = file + ".part";
        try
        {
#pragma warning disable CA5400, CA5359 // Image servers (Ironic's conductor) use certificates the BMC cannot know; real BMCs do not check either.
            using var handler = new HttpClientHandler { ServerCertificateCustomValidationCallback = HttpClientHandler.DangerousAcceptAnyServerCertificateValidator };
#pragma warning restore CA5400, CA5359
            using var http = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
            using var response = await http.GetAsync(image, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            response.EnsureSuccessStatusCode();
            await using (var target = File.Create(partial))
            {
                await response.Content.CopyToAsync(target, cancellationToken).ConfigureAwait(false);
            }

            File.Move(partial, file, overwrite: true);
        }
        catch (HttpRequestException error)
        {
            File.Delete(partial);
            throw new MachineOperationException(MachineErrorKind.Unsupported, $"cannot download {image}: {error.Message}", error);
        }
    }

    private static async Task<DomainDefinition> DefinitionAsync(LibvirtClient client, DomainRef domain, DomainXmlFlags flags, CancellationToken cancellationToken) =>
        // Secure: the definition is written back whole, so nothing (such as a VNC password) may be left out.
        DomainDefinition.Parse(await client.DomainGetXmlDescAsync(domain, flags | DomainXmlFlags.Secure, cancellationToken).ConfigureAwait(false));

    /// <summary>Runs an action on a known domain, one action per domain at a time, translating libvirt's errors.</summary>
    private Task WithDomainAsync(Guid id, Func<LibvirtClient, DomainRef, Task> action, CancellationToken cancellationToken)
    {
        if (!_machines.TryGetValue(id, out var entry))
        {
            throw MachineOperationException.NotFound(id);
        }

        var client = _client ?? throw new MachineOperationException(MachineErrorKind.Unavailable, "not connected to libvirt (reconnecting)");
        return LockedAsync(id, async () =>
        {
            try
            {
                await action(client, entry.Domain).ConfigureAwait(false);
            }
            catch (LibvirtException error)
            {
                throw Translate(id, error);
            }
        }, cancellationToken);
    }

    private static MachineOperationException Translate(Guid id, LibvirtException error) => error switch
    {
        { IsNotFound: true } => MachineOperationException.NotFound(id),
        LibvirtConnectionException => new MachineOperationException(MachineErrorKind.Unavailable, error.Message, error),
        { IsOperationInvalid: true } => new MachineOperationException(MachineErrorKind.InvalidState, error.Message, error),
        { IsInvalidXml: true } => new MachineOperationException(MachineErrorKind.Unsupported, error.Message, error),
        _ => new MachineOperationException(MachineErrorKind.Unavailable, error.Message, error),
    };

    private async Task LockedAsync(Guid id, Func<Task> action, CancellationToken cancellationToken)
    {
        var gate = _locks.GetOrAdd(id, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await action().ConfigureAwait(false);
        }
        finally
        {
            gate.Release();
        }
    }

    private void Remove(Guid id)
    {
        if (_machines.TryRemove(id, out _))
        {
            Changed?.Invoke(this, new MachineChangedEventArgs(id, null));
        }
    }

    private void DeleteUnusedNvram(Guid id, string file)
    {
        try
        {
            File.Delete(file);
            LogNvramDeleted(id, file);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            // The switch itself is done; a left-over store only wastes space.
            LogNvramNotDeleted(id, file, error.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Domain} got its CD-ROM drive after it started; the medium is seen from its next start")]
    private partial void LogCdromAtNextStart(string domain);

    [LoggerMessage(Level = LogLevel.Information, Message = "Machine {Id} switched to legacy BIOS: deleted its UEFI variable store {File}")]
    private partial void LogNvramDeleted(Guid id, string file);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Machine {Id} switched to legacy BIOS, but its UEFI variable store {File} could not be deleted: {Reason}")]
    private partial void LogNvramNotDeleted(Guid id, string file, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Connected to libvirt at {Transport}: {Domains} domain(s)")]
    private partial void LogConnected(ILibvirtTransport transport, int domains);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Lost the libvirt connection: {Reason}; reconnecting")]
    private partial void LogDisconnected(string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reconnecting to libvirt failed: {Reason}; next try in {Delay}")]
    private partial void LogReconnectFailed(string reason, TimeSpan delay);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Domain} was reset after its boot device or mode changed: restarted cold so the firmware uses them")]
    private partial void LogColdRestart(string domain);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Restarting {Domain} after its reset failed: {Reason}")]
    private partial void LogRebootFailed(string domain, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Applying libvirt event {Event} of {Domain} failed: {Reason}")]
    private partial void LogEventFailed(string domain, DomainEventType @event, string reason);
}
