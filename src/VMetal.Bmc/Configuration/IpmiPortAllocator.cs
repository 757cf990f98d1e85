namespace VMetal.Bmc.Configuration;

/// <summary>
/// Gives each machine of a workspace its IPMI UDP port: a machine keeps the port it had in the previous
/// configuration (so Ironic's records stay valid across re-runs); a new machine gets the lowest free port
/// from <see cref="FirstPort"/> up that no workspace on the hypervisor uses.
/// </summary>
public static class IpmiPortAllocator
{
    /// <summary>The customary first virtual BMC port (virtualbmc, tenks, tripleo-quickstart).</summary>
    public const int FirstPort = 6230;

    /// <param name="machineNames">The workspace's machines, in the order new ports should be handed out.</param>
    /// <param name="previous">This workspace's current configuration on the hypervisor, if any.</param>
    /// <param name="others">Every other workspace's configuration on the hypervisor.</param>
    /// <returns>Port per machine name.</returns>
    /// <exception cref="BmcConfigException">The range up to 65535 is exhausted.</exception>
    public static IReadOnlyDictionary<string, int> Allocate(
        IEnumerable<string> machineNames, BmcWorkspaceConfig? previous, IEnumerable<BmcWorkspaceConfig> others, int firstPort = FirstPort)
    {
        var kept = (previous?.Machines ?? []).Where(m => m.IpmiPort is not null).ToDictionary(m => m.Name, m => m.IpmiPort!.Value, StringComparer.Ordinal);
        var taken = others.SelectMany(w => w.Machines).Select(m => m.IpmiPort).OfType<int>().ToHashSet();
        var result = new Dictionary<string, int>(StringComparer.Ordinal);
        var names = machineNames.ToList();

        foreach (var name in names.Where(kept.ContainsKey))
        {
            if (taken.Add(kept[name]))
            {
                result[name] = kept[name];
            }
        }

        var candidate = firstPort;
        foreach (var name in names.Where(n => !result.ContainsKey(n)))
        {
            while (taken.Contains(candidate) || kept.ContainsValue(candidate))
            {
                candidate++;
            }

            if (candidate > 65535)
            {
                throw new BmcConfigException($"no free IPMI port left from {firstPort} to 65535 for {name}");
            }

            taken.Add(candidate);
            result[name] = candidate;
        }

        return result;
    }
}
