using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace VMetal.Bmc.Redfish;

/// <summary>
/// One workspace as the Redfish service sees it: its credentials and the machines they open. Credentials of
/// one tenant never show another tenant's machines, even on a shared listener.
/// </summary>
internal sealed class RedfishTenant(string workspace, string userName, string password, IReadOnlySet<Guid> machineIds)
{
    private readonly byte[] _userName = Encoding.UTF8.GetBytes(userName);
    private readonly byte[] _password = Encoding.UTF8.GetBytes(password);

    public string Workspace { get; } = workspace;

    public string UserName { get; } = userName;

    public IReadOnlySet<Guid> MachineIds { get; } = machineIds;

    public bool HasSameCredentials(RedfishTenant other) =>
        _userName.AsSpan().SequenceEqual(other._userName) && _password.AsSpan().SequenceEqual(other._password);

    /// <summary>Compares in constant time so that response timing does not reveal how much of a guess was right.</summary>
    public bool Accepts(ReadOnlySpan<byte> userName, ReadOnlySpan<byte> password) =>
        CryptographicOperations.FixedTimeEquals(userName, _userName) & CryptographicOperations.FixedTimeEquals(password, _password);
}

/// <summary>An HTTPS address:port with its certificate and the tenants reachable through it.</summary>
internal sealed record RedfishListener(IPEndPoint EndPoint, X509Certificate2 Certificate, IReadOnlyList<RedfishTenant> Tenants)
{
    /// <summary>Whether a connection accepted at <paramref name="local"/> belongs to this listener.</summary>
    public bool Serves(IPAddress? local, int port)
    {
        if (port != EndPoint.Port && EndPoint.Port != 0)
        {
            return false;
        }

        var address = local is { IsIPv4MappedToIPv6: true } ? local.MapToIPv4() : local;
        return EndPoint.Address.Equals(IPAddress.Any) || EndPoint.Address.Equals(IPAddress.IPv6Any) || EndPoint.Address.Equals(address);
    }
}
