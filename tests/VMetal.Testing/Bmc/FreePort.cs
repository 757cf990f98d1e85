using System.Net;
using System.Net.Sockets;

namespace VMetal.Testing.Bmc;

/// <summary>Ports the kernel hands out as free on 127.0.0.1 (free when asked; another process could take one later).</summary>
public static class FreePort
{
    public static int Udp() => Take(SocketType.Dgram, ProtocolType.Udp);

    public static int Tcp() => Take(SocketType.Stream, ProtocolType.Tcp);

    private static int Take(SocketType type, ProtocolType protocol)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, type, protocol);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }
}
