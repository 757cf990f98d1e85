using VMetal.Hosting;
using VMetal.Topology;

namespace VMetal.Hypervisor;

/// <summary>
/// A <c>forward: bridge</c> network attaches VMs to a Linux bridge that must already exist on the host. libvirt
/// defines and starts such a network without looking, and only a VM's start fails ("Cannot get interface MTU on
/// 'br0': No such device"), after everything else was created. This check finds that before any change.
/// </summary>
public static class HostBridges
{
    private const string Script =
        "for b in \"$@\"; do if [ -d \"/sys/class/net/$b/bridge\" ]; then echo \"ok $b\"; " +
        "elif [ -e \"/sys/class/net/$b\" ]; then echo \"notbridge $b\"; else echo \"missing $b\"; fi; done";

    /// <summary>One sentence per <c>forward: bridge</c> network whose host bridge is missing or is not a bridge; empty when all are fine.</summary>
    public static async Task<IReadOnlyList<string>> ProblemsAsync(IHostConnection host, LabTopology topology, CancellationToken cancellationToken)
    {
        var bridged = topology.Networks.Where(n => n.Forward == ForwardMode.Bridge).ToList();
        if (bridged.Count == 0)
            return [];
        var result = await host.RunCheckedAsync(HostCommand.Of(ShellScript.Inline(Script, bridged.Select(n => n.BridgeName).Distinct(StringComparer.Ordinal))),
            cancellationToken);
        var states = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(line => line.Split(' ', 2)).Where(parts => parts.Length == 2)
            .ToDictionary(parts => parts[1], parts => parts[0], StringComparer.Ordinal);
        return [.. bridged.Select(network => states.GetValueOrDefault(network.BridgeName, "missing") switch
        {
            "ok" => null,
            "notbridge" => $"network '{network.Name}' forwards to host bridge '{network.BridgeName}', but {network.BridgeName} on {host.Target} is not a bridge",
            _ => $"network '{network.Name}' forwards to host bridge '{network.BridgeName}', which does not exist on {host.Target}",
        }).OfType<string>()];
    }

    /// <summary>The refusal for <see cref="ProblemsAsync"/>'s findings (bad input: nothing was changed).</summary>
    public static VMetalException Refusal(IReadOnlyList<string> problems) => new(FailureKind.BadInput,
        string.Join("; ", problems) + ". Create the bridge on the hypervisor first (e.g. with NetworkManager or systemd-networkd), " +
        "or use another forward mode or bridge in the network layout; nothing was changed");
}
