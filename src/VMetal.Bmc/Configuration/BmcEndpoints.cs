using System.Globalization;
using System.Net;

namespace VMetal.Bmc.Configuration;

/// <summary>How Ironic reaches one node's BMC: what goes into nodes.json / instackenv.json.</summary>
/// <param name="IpmiAddress">pm_addr for pm_type "ipmi", or null when the workspace has no IPMI.</param>
/// <param name="IpmiPort">pm_port for pm_type "ipmi".</param>
/// <param name="RedfishAddress">pm_addr for pm_type "redfish" (Ironic's redfish_address), e.g. https://192.168.24.1:8000.</param>
/// <param name="RedfishSystemId">redfish_system_id, e.g. /redfish/v1/Systems/&lt;uuid&gt;.</param>
public sealed record BmcNodeEndpoint(
    string Name,
    Guid SystemUuid,
    string Username,
    string Password,
    string? IpmiAddress,
    int? IpmiPort,
    Uri? RedfishAddress,
    string? RedfishSystemId)
{
    /// <summary>The full system URL (Metal3 style: redfish+https://…/redfish/v1/Systems/&lt;uuid&gt; minus the scheme prefix).</summary>
    public Uri? RedfishSystemUrl => RedfishAddress is null ? null : new Uri(RedfishAddress, RedfishSystemId);

    /// <summary>One line for people: the protocols served (of --bmc ipmi, redfish or both), and the user.</summary>
    public override string ToString()
    {
        var parts = new List<string>();
        if (IpmiAddress is not null && IpmiPort is not null)
            parts.Add(IpmiAddress.Contains(':', StringComparison.Ordinal) ? $"ipmi [{IpmiAddress}]:{IpmiPort}" : $"ipmi {IpmiAddress}:{IpmiPort}");
        if (RedfishSystemUrl is { } url)
            parts.Add($"redfish {url}");
        parts.Add($"user {Username}");
        return $"{Name}: {string.Join(", ", parts)}";
    }
}

public static class BmcEndpoints
{
    public static IReadOnlyList<BmcNodeEndpoint> Describe(BmcWorkspaceConfig config) =>
        [.. config.Machines.Select(machine => new BmcNodeEndpoint(
            machine.Name,
            machine.Uuid,
            config.Credentials.Username,
            config.Credentials.Password,
            config.Ipmi?.Address,
            config.Ipmi is null ? null : machine.IpmiPort,
            config.Redfish is { } redfish ? new Uri($"https://{HostPart(redfish.Address)}:{redfish.Port.ToString(CultureInfo.InvariantCulture)}") : null,
            config.Redfish is null ? null : $"/redfish/v1/Systems/{machine.Uuid}"))];

    private static string HostPart(string address) =>
        IPAddress.TryParse(address, out var ip) && ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{ip}]" : address;
}
