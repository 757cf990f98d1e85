using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace VMetal.Bmc.Ipmi;

/// <summary>One machine's BMC on the network: a UDP socket and the loop that answers its datagrams in order.</summary>
internal sealed partial class IpmiEndpoint : IAsyncDisposable
{
    // An RMCP+ request is at most a few hundred bytes; anything longer is truncated and then fails to parse.
    private const int ReceiveBufferSize = 1024;

    private readonly Socket _socket;
    private readonly IpmiResponder _responder;
    private readonly IpmiSessionTable _sessions;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    private IpmiEndpoint(Socket socket, IpmiResponder responder, IpmiSessionTable sessions, ILogger logger)
    {
        _socket = socket;
        _responder = responder;
        _sessions = sessions;
        _logger = logger;
        LocalEndPoint = (IPEndPoint)socket.LocalEndPoint!;
        responder.Sol.AttachSender(SendAsync, LocalEndPoint.Port);
        _loop = Task.Run(ReceiveLoopAsync);
    }

    public IPEndPoint LocalEndPoint { get; }

    public IpmiResponder Responder => _responder;

    public IpmiSessionTable Sessions => _sessions;

    /// <summary>Binds the socket (even to an address not configured yet: the bridge may come up later) and starts answering.</summary>
    /// <exception cref="SocketException">The port is taken or the address is unusable.</exception>
    public static IpmiEndpoint Start(IPEndPoint endPoint, IpmiResponder responder, IpmiSessionTable sessions, ILogger logger)
    {
        var socket = new Socket(endPoint.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            FreeBind.Enable(socket);
            socket.Bind(endPoint);
            return new IpmiEndpoint(socket, responder, sessions, logger);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _responder.Sol.DisposeAsync().ConfigureAwait(false);
        await _stop.CancelAsync().ConfigureAwait(false);
        _socket.Dispose();
        await _loop.ConfigureAwait(false);
        _stop.Dispose();
        _sessions.Dispose();
    }

    /// <summary>A datagram the BMC sends on its own (Serial-over-LAN output), from the same port as its answers.</summary>
    private async ValueTask SendAsync(byte[] datagram, EndPoint remote)
    {
        if (!_stop.IsCancellationRequested)
        {
            await _socket.SendToAsync(datagram, SocketFlags.None, remote, _stop.Token).ConfigureAwait(false);
        }
    }

    private async Task ReceiveLoopAsync()
    {
        var buffer = new byte[ReceiveBufferSize];
        EndPoint any = _socket.AddressFamily == AddressFamily.InterNetworkV6 ? new IPEndPoint(IPAddress.IPv6Any, 0) : new IPEndPoint(IPAddress.Any, 0);
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                var received = await _socket.ReceiveFromAsync(buffer, SocketFlags.None, any, _stop.Token).ConfigureAwait(false);
                var reply = await _responder.HandleAsync(buffer.AsMemory(0, received.ReceivedBytes), received.RemoteEndPoint, _stop.Token).ConfigureAwait(false);
                if (reply is not null)
                {
                    await _socket.SendToAsync(reply, SocketFlags.None, received.RemoteEndPoint, _stop.Token).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                break;
            }
            catch (ObjectDisposedException) when (_stop.IsCancellationRequested)
            {
                break;
            }
#pragma warning disable CA1031 // One bad datagram or a failed send must never stop the BMC.
            catch (Exception error)
#pragma warning restore CA1031
            {
                LogDatagramFailed(LocalEndPoint, error);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "IPMI endpoint {EndPoint} failed on a datagram")]
    private partial void LogDatagramFailed(IPEndPoint endPoint, Exception error);
}
