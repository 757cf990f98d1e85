using System.Net.Sockets;

namespace VMetal.Libvirt;

/// <summary>Connects to libvirtd's unix socket on this machine.</summary>
public sealed class UnixSocketTransport(string path = UnixSocketTransport.SystemSocketPath) : ILibvirtTransport
{
    /// <summary>The monolithic libvirtd's read-write socket.</summary>
    public const string SystemSocketPath = "/run/libvirt/libvirt-sock";

    public string Path { get; } = path;

    public async ValueTask<Stream> OpenAsync(CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(Path), cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch (SocketException exception)
        {
            socket.Dispose();
            var reason = exception.SocketErrorCode switch
            {
                _ when !File.Exists(Path) => "it does not exist (is libvirtd running?)",
                SocketError.ConnectionRefused => "connection refused (is libvirtd running?)",
                SocketError.AccessDenied => "permission denied",
                _ => exception.Message,
            };
            throw new LibvirtConnectionException($"Cannot connect to the libvirt socket '{Path}': {reason}", exception);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public override string ToString() => $"unix:{Path}";
}
