using System.Net.Sockets;

namespace VMetal.Bmc;

/// <summary>
/// Linux IP_FREEBIND / IPV6_FREEBIND: lets a socket bind an address the host does not have yet, so the BMC
/// can start before the network bridge that carries its address is up.
/// </summary>
internal static class FreeBind
{
    private const int SolIp = 0;
    private const int IpFreeBind = 15;
    private const int SolIpv6 = 41;
    private const int Ipv6FreeBind = 78;

    public static void Enable(Socket socket)
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        var (level, option) = socket.AddressFamily == AddressFamily.InterNetworkV6 ? (SolIpv6, Ipv6FreeBind) : (SolIp, IpFreeBind);
        socket.SetRawSocketOption(level, option, BitConverter.GetBytes(1));
    }
}
