using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using VMetal.Bmc.Machines;

namespace VMetal.Bmc.Redfish;

/// <summary>
/// The HTTPS Redfish service on Kestrel: one process, one or more listeners (address:port with a
/// certificate), every workspace's machines. Tenants change in place; a change of listeners needs a restart.
/// </summary>
internal sealed class RedfishServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly RedfishService _service;

    private RedfishServer(WebApplication app, RedfishService service, IReadOnlyList<IPEndPoint> boundEndPoints)
    {
        _app = app;
        _service = service;
        BoundEndPoints = boundEndPoints;
    }

    /// <summary>Where the listeners actually listen (ports resolved when 0 was asked for), in listener order.</summary>
    public IReadOnlyList<IPEndPoint> BoundEndPoints { get; }

    public IReadOnlyList<RedfishListener> Listeners => _service.Listeners;

    /// <exception cref="IOException">A listener cannot bind its address.</exception>
    public static async Task<RedfishServer> StartAsync(
        IReadOnlyList<RedfishListener> listeners, IMachineBackend backend, RedfishServerOptions options, ILoggerFactory loggerFactory,
        TimeProvider time, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(loggerFactory);
        builder.WebHost.UseSockets(sockets => sockets.CreateBoundListenSocket = BindFreely);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = options.MaximumRequestBodyBytes;
            kestrel.Limits.MaxRequestHeadersTotalSize = 16 * 1024;
            kestrel.Limits.MaxConcurrentConnections = options.MaximumConnections;
            foreach (var listener in listeners)
            {
                kestrel.Listen(listener.EndPoint, listen =>
                {
                    listen.Protocols = HttpProtocols.Http1AndHttp2;
                    listen.UseHttps(listener.Certificate);
                });
            }
        });

        var app = builder.Build();
        var service = new RedfishService(
            backend, new RedfishSessionStore(time, options.MaximumSessionsPerWorkspace, options.SessionTimeout), options, loggerFactory.CreateLogger<RedfishService>())
        {
            Listeners = listeners,
        };
        service.Map(app);
        await app.StartAsync(cancellationToken).ConfigureAwait(false);

        var addresses = app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        var bound = addresses.Select(address => new Uri(address)).Select(uri => new IPEndPoint(IPAddress.Parse(uri.Host.Trim('[', ']')), uri.Port)).ToList();
        var resolved = listeners.Select(l => l.EndPoint.Port != 0 ? l.EndPoint : bound.First(b => b.Address.Equals(l.EndPoint.Address))).ToList();
        service.Listeners = [.. listeners.Zip(resolved, (listener, endPoint) => listener with { EndPoint = endPoint })];
        return new RedfishServer(app, service, resolved);
    }

    /// <summary>Whether <paramref name="listeners"/> differ from the running ones only in their tenants.</summary>
    public bool CanUpdateInPlace(IReadOnlyList<RedfishListener> listeners) =>
        listeners.Count == Listeners.Count
        && listeners.Zip(Listeners).All(pair => SameEndPoint(pair.First.EndPoint, pair.Second.EndPoint)
            && pair.First.Certificate.Thumbprint == pair.Second.Certificate.Thumbprint);

    public void UpdateTenants(IReadOnlyList<RedfishListener> listeners) =>
        _service.Listeners = [.. listeners.Zip(Listeners, (wanted, running) => wanted with { EndPoint = running.EndPoint })];

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }

    private static bool SameEndPoint(IPEndPoint wanted, IPEndPoint running) =>
        wanted.Address.Equals(running.Address) && (wanted.Port == 0 || wanted.Port == running.Port);

    /// <summary>Kestrel's listen socket, but with freebind: the address may not exist yet when the BMC starts.</summary>
    private static Socket BindFreely(EndPoint endPoint)
    {
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            FreeBind.Enable(socket);
            socket.Bind(endPoint);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}

/// <param name="MediaTimeout">Inserting virtual media downloads the image first, which takes longer than a power action.</param>
internal sealed record RedfishServerOptions(
    Guid ServiceId, TimeSpan ActionTimeout, TimeSpan MediaTimeout, TimeSpan SessionTimeout, int MaximumSessionsPerWorkspace, int MaximumConnections,
    long MaximumRequestBodyBytes)
{
    public static RedfishServerOptions Default(Guid serviceId) => new(
        serviceId, TimeSpan.FromSeconds(60), TimeSpan.FromMinutes(15), TimeSpan.FromMinutes(30), MaximumSessionsPerWorkspace: 64, MaximumConnections: 512,
        MaximumRequestBodyBytes: 64 * 1024);
}
