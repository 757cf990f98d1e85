using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using VMetal.Bmc.Machines;

namespace VMetal.Bmc.Ipmi;

/// <summary>
/// Every machine's IPMI endpoint in one process. An endpoint exists while its machine is both configured and
/// known to the backend: a machine that is undefined stops answering, one that is defined again comes back.
/// A port that cannot be bound is retried on the next periodic pass.
/// </summary>
internal sealed partial class IpmiServer : IAsyncDisposable
{
    private static readonly TimeSpan MaintenanceInterval = TimeSpan.FromSeconds(10);

    private readonly IMachineBackend _backend;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly IpmiServerOptions _options;
    private readonly SemaphoreSlim _reconcileLock = new(1, 1);
    private readonly Dictionary<Guid, IpmiEndpoint> _endpoints = [];
    private readonly ITimer _maintenance;
    private IReadOnlyList<IpmiBinding> _bindings = [];
    private IReadOnlyDictionary<Guid, IPEndPoint> _served = new Dictionary<Guid, IPEndPoint>();
    private bool _disposed;

    public IpmiServer(IMachineBackend backend, ILoggerFactory loggerFactory, TimeProvider time, IpmiServerOptions options)
    {
        _backend = backend;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger<IpmiServer>();
        _time = time;
        _options = options;
        _backend.Changed += OnMachineChanged;
        _maintenance = time.CreateTimer(_ => _ = ReconcileInBackgroundAsync(), null, MaintenanceInterval, MaintenanceInterval);
    }

    /// <summary>The address each served machine's BMC listens on (the bound port when 0 was asked for).</summary>
    public IReadOnlyDictionary<Guid, IPEndPoint> EndPoints => Volatile.Read(ref _served);

    /// <summary>Replaces the wanted set of endpoints and brings the sockets in line with it.</summary>
    public async Task ConfigureAsync(IReadOnlyList<IpmiBinding> bindings, CancellationToken cancellationToken)
    {
        _bindings = bindings;
        await ReconcileAsync(cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        _backend.Changed -= OnMachineChanged;
        await _maintenance.DisposeAsync().ConfigureAwait(false);
        await _reconcileLock.WaitAsync().ConfigureAwait(false);
        try
        {
            _disposed = true;
            foreach (var endpoint in _endpoints.Values)
            {
                await endpoint.DisposeAsync().ConfigureAwait(false);
            }

            _endpoints.Clear();
            Volatile.Write(ref _served, new Dictionary<Guid, IPEndPoint>());
        }
        finally
        {
            _reconcileLock.Release();
        }
    }

    private void OnMachineChanged(object? sender, MachineChangedEventArgs change)
    {
        // Only appearing and disappearing machines matter here; power and boot changes are read per request.
        if ((change.Current is null) == EndPoints.ContainsKey(change.Id) && _bindings.Any(b => b.MachineId == change.Id))
        {
            _ = ReconcileInBackgroundAsync();
        }
    }

    private async Task ReconcileInBackgroundAsync()
    {
        try
        {
            await ReconcileAsync(CancellationToken.None).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // A background pass must not take the process down; the next pass retries.
        catch (Exception error)
#pragma warning restore CA1031
        {
            LogReconcileFailed(error);
        }
    }

    private async Task ReconcileAsync(CancellationToken cancellationToken)
    {
        await _reconcileLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_disposed)
            {
                return;
            }

            var wanted = _bindings.Where(b => _backend.Find(b.MachineId) is not null).ToDictionary(b => b.MachineId);
            foreach (var (machineId, endpoint) in _endpoints.ToList())
            {
                if (!wanted.TryGetValue(machineId, out var binding) || !SameAddress(binding.EndPoint, endpoint.LocalEndPoint))
                {
                    _endpoints.Remove(machineId);
                    await endpoint.DisposeAsync().ConfigureAwait(false);
                    LogStopped(machineId, endpoint.LocalEndPoint);
                }
                else
                {
                    endpoint.Responder.Credentials = binding.Credentials;
                }
            }

            foreach (var binding in wanted.Values.Where(b => !_endpoints.ContainsKey(b.MachineId)))
            {
                Start(binding);
            }

            foreach (var endpoint in _endpoints.Values)
            {
                endpoint.Sessions.RemoveExpired();
            }

            Volatile.Write(ref _served, _endpoints.ToDictionary(pair => pair.Key, pair => pair.Value.LocalEndPoint));
        }
        finally
        {
            _reconcileLock.Release();
        }
    }

    private void Start(IpmiBinding binding)
    {
        var sessions = new IpmiSessionTable(_time, _options.SessionLimits);
        var commands = new MachineCommands(_backend, binding.MachineId, binding.EndPoint.Address, _options, _time, _loggerFactory.CreateLogger<MachineCommands>());
        var sol = new SolService(_backend, binding.MachineId, sessions, _time, _loggerFactory.CreateLogger<SolService>());
        var responder = new IpmiResponder(binding.Credentials, binding.MachineId, commands, sessions, sol, _loggerFactory.CreateLogger<IpmiResponder>());
        try
        {
            var endpoint = IpmiEndpoint.Start(binding.EndPoint, responder, sessions, _loggerFactory.CreateLogger<IpmiEndpoint>());
            _endpoints.Add(binding.MachineId, endpoint);
            LogStarted(binding.MachineId, endpoint.LocalEndPoint);
        }
        catch (SocketException error)
        {
            sessions.Dispose();
            LogBindFailed(binding.MachineId, binding.EndPoint, error.Message);
        }
    }

    /// <summary>Port 0 in a binding means "any port", which the bound endpoint already satisfies.</summary>
    private static bool SameAddress(IPEndPoint wanted, IPEndPoint bound) =>
        wanted.Address.Equals(bound.Address) && (wanted.Port == 0 || wanted.Port == bound.Port);

    [LoggerMessage(Level = LogLevel.Information, Message = "IPMI for machine {MachineId} listening on udp {EndPoint}")]
    private partial void LogStarted(Guid machineId, IPEndPoint endPoint);

    [LoggerMessage(Level = LogLevel.Information, Message = "IPMI for machine {MachineId} on udp {EndPoint} stopped")]
    private partial void LogStopped(Guid machineId, IPEndPoint endPoint);

    [LoggerMessage(Level = LogLevel.Error, Message = "IPMI for machine {MachineId} cannot listen on udp {EndPoint}: {Reason}; retrying")]
    private partial void LogBindFailed(Guid machineId, IPEndPoint endPoint, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "IPMI endpoint maintenance failed")]
    private partial void LogReconcileFailed(Exception error);
}

/// <summary>One machine's IPMI endpoint as configured.</summary>
internal sealed record IpmiBinding(Guid MachineId, IPEndPoint EndPoint, IpmiCredentials Credentials);

/// <param name="AnswerWithin">How long the client waits at most for the answer to a power or boot action (then it runs on in the background).</param>
/// <param name="ActionTimeout">How long a power or boot action may take in all; one that ends in time with an error is answered with the error.</param>
internal sealed record IpmiServerOptions(IpmiSessionLimits SessionLimits, TimeSpan AnswerWithin, TimeSpan ActionTimeout)
{
    public static readonly IpmiServerOptions Default = new(IpmiSessionLimits.Default, TimeSpan.FromSeconds(1.5), TimeSpan.FromSeconds(60));
}
