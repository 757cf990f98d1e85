using System.Net;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using VMetal.Bmc.Configuration;
using VMetal.Bmc.Ipmi;
using VMetal.Bmc.Machines;
using VMetal.Bmc.Redfish;

namespace VMetal.Bmc.Hosting;

/// <summary>Where <see cref="BmcHost"/> reads its configuration and keeps its state (generated certificates).</summary>
/// <param name="ConfigPath">A workspace file, or a directory of them (<see cref="BmcConfigFile.DefaultDirectory"/>).</param>
public sealed record BmcHostOptions(string ConfigPath, string StateDirectory)
{
    public const string DefaultStateDirectory = "/var/lib/vmetal/bmc";

    /// <summary>Reload when a configuration file changes and on SIGHUP.</summary>
    public bool WatchConfiguration { get; init; } = true;

    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Where the self-signed Redfish certificate generated for a workspace is kept (the workspace's `down` deletes it).</summary>
    public static string SelfSignedCertificatePath(string stateDirectory, string workspace) =>
        $"{stateDirectory.TrimEnd('/')}/tls/{workspace}.pfx";
}

/// <summary>
/// The whole BMC service: every configured machine's IPMI endpoint and the Redfish listeners, over one machine
/// backend. A configuration reload that fails its checks is logged and the running configuration stays.
/// </summary>
public sealed partial class BmcHost : IAsyncDisposable
{
    private static readonly TimeSpan ReloadDelay = TimeSpan.FromMilliseconds(300);

    private readonly BmcHostOptions _options;
    private readonly IMachineBackend _backend;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private readonly IpmiServer _ipmi;
    private readonly SemaphoreSlim _applyLock = new(1, 1);
    private readonly List<IDisposable> _watchers = [];
    private RedfishServer? _redfish;
    private ITimer? _pendingReload;
    private int _disposed;

    private BmcHost(BmcHostOptions options, IMachineBackend backend, ILoggerFactory loggerFactory)
    {
        _options = options;
        _backend = backend;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger<BmcHost>();
        _ipmi = new IpmiServer(backend, loggerFactory, options.Time, IpmiServerOptions.Default);
    }

    /// <summary>Each served machine's IPMI endpoint.</summary>
    public IReadOnlyDictionary<Guid, IPEndPoint> IpmiEndPoints => _ipmi.EndPoints;

    /// <summary>Where the Redfish listeners listen.</summary>
    public IReadOnlyList<IPEndPoint> RedfishEndPoints => _redfish?.BoundEndPoints ?? [];

    /// <exception cref="BmcConfigException">The configuration or a certificate is missing or invalid.</exception>
    /// <exception cref="IOException">A Redfish listener cannot bind its address.</exception>
    public static async Task<BmcHost> StartAsync(BmcHostOptions options, IMachineBackend backend, ILoggerFactory loggerFactory, CancellationToken cancellationToken)
    {
        var host = new BmcHost(options, backend, loggerFactory);
        try
        {
            await host.ApplyAsync(cancellationToken).ConfigureAwait(false);
            if (options.WatchConfiguration)
            {
                host.Watch();
            }

            return host;
        }
        catch
        {
            await host.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Reads the configuration again and applies it; false (logged) when it is invalid and the old one stays.</summary>
    public async Task<bool> ReloadAsync(CancellationToken cancellationToken)
    {
        try
        {
            await ApplyAsync(cancellationToken).ConfigureAwait(false);
            LogReloaded(_options.ConfigPath);
            return true;
        }
        catch (Exception error) when (error is BmcConfigException or IOException)
        {
            LogReloadFailed(error.Message);
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        foreach (var watcher in _watchers)
        {
            watcher.Dispose();
        }

        if (_pendingReload is not null)
        {
            await _pendingReload.DisposeAsync().ConfigureAwait(false);
        }

        await _applyLock.WaitAsync().ConfigureAwait(false);
        await _ipmi.DisposeAsync().ConfigureAwait(false);
        if (_redfish is not null)
        {
            await _redfish.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async Task ApplyAsync(CancellationToken cancellationToken)
    {
        await _applyLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            foreach (var file in BmcConfigFile.Files(_options.ConfigPath).Where(BmcConfigFile.IsReadableByOthers))
            {
                LogReadableByOthers(file);
            }

            var workspaces = BmcConfigFile.Load(_options.ConfigPath);
            var listeners = RedfishListeners(workspaces);
            await _ipmi.ConfigureAsync(IpmiBindings(workspaces), cancellationToken).ConfigureAwait(false);
            await ConfigureRedfishAsync(listeners, cancellationToken).ConfigureAwait(false);
            LogApplied(workspaces.Count, IpmiEndPoints.Count, RedfishEndPoints.Count);
        }
        finally
        {
            _applyLock.Release();
        }
    }

    private async Task ConfigureRedfishAsync(IReadOnlyList<RedfishListener> listeners, CancellationToken cancellationToken)
    {
        if (_redfish is not null && _redfish.CanUpdateInPlace(listeners))
        {
            _redfish.UpdateTenants(listeners);
            return;
        }

        if (_redfish is not null)
        {
            await _redfish.DisposeAsync().ConfigureAwait(false);
            _redfish = null;
        }

        if (listeners.Count > 0)
        {
            _redfish = await RedfishServer.StartAsync(
                listeners, _backend, RedfishServerOptions.Default(ServiceId()), _loggerFactory, _options.Time, cancellationToken).ConfigureAwait(false);
            foreach (var endPoint in _redfish.BoundEndPoints)
            {
                LogRedfishListening(endPoint);
            }
        }
    }

    private static List<IpmiBinding> IpmiBindings(IReadOnlyList<BmcWorkspaceConfig> workspaces) =>
        [.. workspaces.Where(w => w.Ipmi is not null).SelectMany(w => w.Machines.Select(m => new IpmiBinding(
            m.Uuid,
            new IPEndPoint(IPAddress.Parse(w.Ipmi!.Address), m.IpmiPort!.Value),
            IpmiCredentials.FromStrings(w.Credentials.Username, w.Credentials.Password))))];

    /// <summary>Workspaces that name the same address:port share a listener; its certificate is the first workspace's (by name).</summary>
    private List<RedfishListener> RedfishListeners(IReadOnlyList<BmcWorkspaceConfig> workspaces) =>
        [.. workspaces.Where(w => w.Redfish is not null)
            .GroupBy(w => new IPEndPoint(IPAddress.Parse(w.Redfish!.Address), w.Redfish.Port))
            .Select(group =>
            {
                var members = group.OrderBy(w => w.Workspace, StringComparer.Ordinal).ToList();
                var tenants = members.Select(w => new RedfishTenant(
                    w.Workspace, w.Credentials.Username, w.Credentials.Password, w.Machines.Select(m => m.Uuid).ToHashSet())).ToList();
                return new RedfishListener(group.Key, Certificate(members, group.Key), tenants);
            })];

    private System.Security.Cryptography.X509Certificates.X509Certificate2 Certificate(List<BmcWorkspaceConfig> members, IPEndPoint endPoint)
    {
        var owner = members.FirstOrDefault(w => w.Redfish!.CertificateFile is not null) ?? members[0];
        try
        {
            return owner.Redfish!.CertificateFile is { } file
                ? TlsCertificates.Load(file, owner.Redfish.CertificateKeyFile)
                : TlsCertificates.LoadOrCreateSelfSigned(
                    BmcHostOptions.SelfSignedCertificatePath(_options.StateDirectory, owner.Workspace), $"vmetal BMC {owner.Workspace}",
                    [endPoint.Address], _options.Time);
        }
        catch (Exception error) when (error is CryptographicException or IOException or UnauthorizedAccessException)
        {
            throw new BmcConfigException($"workspace {owner.Workspace}: Redfish certificate: {error.Message}");
        }
    }

    /// <summary>The Redfish service UUID: stable for a hypervisor, so clients see the same service after a restart.</summary>
    /// <summary>Stable per hypervisor, and a valid RFC 4122 UUID as Redfish's ServiceRoot.UUID must be.</summary>
    private static Guid ServiceId() => NameBasedUuid.Create(NameBasedUuid.DnsNamespace, $"vmetal-bmc.{Environment.MachineName}");

    private void Watch()
    {
        var path = Path.GetFullPath(_options.ConfigPath);
        var isDirectory = Directory.Exists(path);
        var watcher = new FileSystemWatcher(isDirectory ? path : Path.GetDirectoryName(path)!, isDirectory ? "*.json" : Path.GetFileName(path))
        {
            NotifyFilter = NotifyFilters.FileName | NotifyFilters.LastWrite | NotifyFilters.Size,
        };
        watcher.Changed += (_, _) => ScheduleReload();
        watcher.Created += (_, _) => ScheduleReload();
        watcher.Deleted += (_, _) => ScheduleReload();
        watcher.Renamed += (_, _) => ScheduleReload();
        watcher.EnableRaisingEvents = true;
        _watchers.Add(watcher);
        if (!OperatingSystem.IsWindows())
        {
            _watchers.Add(PosixSignalRegistration.Create(PosixSignal.SIGHUP, signal =>
            {
                signal.Cancel = true;
                ScheduleReload();
            }));
        }
    }

    /// <summary>Editors and the writer's rename fire several events; one reload follows a short quiet period.</summary>
    private void ScheduleReload()
    {
        var timer = _options.Time.CreateTimer(_ => _ = ReloadAsync(CancellationToken.None), null, ReloadDelay, Timeout.InfiniteTimeSpan);
        Interlocked.Exchange(ref _pendingReload, timer)?.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "BMC configuration applied: {Workspaces} workspace(s), {IpmiEndPoints} IPMI endpoint(s), {RedfishListeners} Redfish listener(s)")]
    private partial void LogApplied(int workspaces, int ipmiEndPoints, int redfishListeners);

    [LoggerMessage(Level = LogLevel.Information, Message = "Redfish listening on https://{EndPoint}")]
    private partial void LogRedfishListening(IPEndPoint endPoint);

    [LoggerMessage(Level = LogLevel.Information, Message = "BMC configuration reloaded from {Path}")]
    private partial void LogReloaded(string path);

    [LoggerMessage(Level = LogLevel.Error, Message = "BMC configuration not reloaded, the running one stays: {Reason}")]
    private partial void LogReloadFailed(string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{File} is readable by group or others; it holds a password and should be mode 0600")]
    private partial void LogReadableByOthers(string file);
}
