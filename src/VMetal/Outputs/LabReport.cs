using System.Net;
using VMetal.Hosting;
using VMetal.Topology;

namespace VMetal.Outputs;

/// <summary>How to reach the hypervisor, for inventories and ssh configs.</summary>
public sealed record HypervisorAccess(HostTarget Target, string? KeyPath, string? KnownHostsPath);

/// <summary>A BMC endpoint for one node (filled when vmetal's virtual BMC serves it).</summary>
public sealed record NodeBmc(string Type, string Address, int Port, string User, string Password, string? RedfishSystemId);

/// <summary>One node as the outputs describe it.</summary>
public sealed record NodeReport(Node Node, string State, IReadOnlyDictionary<string, string> Addresses, IReadOnlyList<NodeBmc> Bmcs)
{
    /// <summary>The address inventories use: the node's fixed (or leased) address on its external network.</summary>
    public string? ManagementAddress => Node.ExternalNetwork is { } network && Addresses.TryGetValue(network, out var address) ? address : null;
}

/// <summary>Everything the output files are generated from.</summary>
public sealed record LabReport(
    string Workspace,
    LabTopology Topology,
    HypervisorAccess Hypervisor,
    IReadOnlyList<NodeReport> Nodes,
    string PoolPath,
    DateTimeOffset GeneratedAt)
{
    /// <summary>Fixed DHCP addresses per node and network, from the topology (known before the VMs boot).</summary>
    public static IReadOnlyDictionary<string, string> FixedAddresses(LabTopology topology, Node node)
    {
        var addresses = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var network in topology.Networks)
        {
            foreach (var host in network.Ipv4?.Hosts ?? [])
            {
                if (node.Nics.Any(nic => string.Equals(nic.MacAddress, host.MacAddress, StringComparison.OrdinalIgnoreCase) && nic.Network == network.Name)
                    && !addresses.ContainsKey(network.Name))
                    addresses[network.Name] = host.Address.ToString();
            }
        }
        return addresses;
    }

    public static bool IsAddress(string? text) => text is not null && IPAddress.TryParse(text, out _);
}
