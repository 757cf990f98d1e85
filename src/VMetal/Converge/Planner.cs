using System.Xml.Linq;

namespace VMetal.Converge;

/// <summary>Objects on the host carry names vmetal wants but are not vmetal's (nothing was changed).</summary>
public sealed class OwnershipConflictException(IReadOnlyList<string> conflicts)
    : VMetalException(FailureKind.BadInput,
        $"refusing to touch objects vmetal does not own: {string.Join("; ", conflicts)}. " +
        "Pick another --prefix (or workspace), or remove them yourself if they are leftovers.")
{
    public IReadOnlyList<string> Conflicts { get; } = conflicts;
}

/// <summary>
/// Computes a <see cref="Plan"/>: pure (no I/O), so every decision is unit-testable and
/// `vmetal plan` shows exactly what `vmetal up` will do. Only objects this workspace owns are
/// ever updated, replaced or deleted: domains and networks by their owner mark, volumes by the
/// workspace record.
/// </summary>
public static class Planner
{
    public static Plan PlanConverge(DesiredState desired, ActualState actual, WorkspaceRecord? record, string workspace)
    {
        var changes = new List<PlannedChange>();
        var conflicts = new List<string>();
        var owned = new Ownership(record, workspace);

        changes.Add(PlanPool(desired.PoolXml, actual.Pool));
        PlanNetworks(desired, actual, owned, changes, conflicts);
        var replacedVolumeNodes = PlanVolumes(desired, actual, owned, changes, conflicts);
        PlanDomains(desired, actual, owned, replacedVolumeNodes, changes, conflicts);

        if (conflicts.Count > 0)
            throw new OwnershipConflictException(conflicts);
        return new Plan(changes, desired.Warnings);
    }

    /// <summary>Everything the workspace owns, to delete (down, cleanup, remove-nodes).</summary>
    public static Plan PlanRemoval(ActualState actual, WorkspaceRecord? record, string workspace, Func<string, bool>? nodeFilter = null)
    {
        var owned = new Ownership(record, workspace);
        var selectNode = nodeFilter ?? (_ => true);
        var changes = new List<PlannedChange>();
        foreach (var domain in actual.Domains.Where(d => owned.Owns(d) && selectNode(d.Name)))
            changes.Add(new(ResourceKind.Domain, domain.Name, ChangeAction.Delete, "owned by workspace " + workspace, domain));
        foreach (var volume in owned.VolumeNames.Where(name => selectNode(VolumeNode(name))))
        {
            var present = actual.Volumes.Any(v => v.Name == volume);
            changes.Add(new(ResourceKind.Volume, volume, ChangeAction.Delete, present ? "owned by workspace " + workspace : "recorded; already gone", volume));
        }
        if (nodeFilter is null)
        {
            foreach (var network in actual.Networks.Where(owned.Owns))
                changes.Add(new(ResourceKind.Network, network.Name, ChangeAction.Delete, "owned by workspace " + workspace, network));
        }
        else
        {
            foreach (var network in actual.Networks.Where(owned.Owns))
            {
                foreach (var host in network.Hosts.Where(h => selectNode(NodeOfHostName(h.Name))))
                    changes.Add(new(ResourceKind.DhcpHost, $"{network.Name}/{host.Name}", ChangeAction.Delete, "fixed lease of a removed node", (network.Name, host)));
            }
        }
        return new Plan(changes, []);
    }

    private static PlannedChange PlanPool(string poolXml, ObservedPool? pool) => pool switch
    {
        null => new(ResourceKind.Pool, "pool", ChangeAction.Create, "no storage pool for the disk directory", poolXml),
        { Active: false } => new(ResourceKind.Pool, pool.Name, ChangeAction.Update, "pool is inactive: start it"),
        _ => new(ResourceKind.Pool, pool.Name, ChangeAction.Unchanged, "present"),
    };

    private static void PlanNetworks(DesiredState desired, ActualState actual, Ownership owned, List<PlannedChange> changes, List<string> conflicts)
    {
        foreach (var network in desired.Networks)
        {
            var observed = actual.Networks.FirstOrDefault(n => n.Name == network.Name);
            if (observed is null)
            {
                changes.Add(new(ResourceKind.Network, network.Name, ChangeAction.Create, "new network", new NetworkWork(network, true, true, true)));
                continue;
            }
            if (!owned.Owns(observed))
            {
                conflicts.Add($"network '{network.Name}' exists and is not owned by workspace '{owned.Workspace}'" +
                              (observed.Owner is { } owner ? $" (it belongs to workspace '{owner.Workspace}')" : ""));
                continue;
            }
            if (owned.NetworkSpec(observed) != network.SpecHash)
            {
                var fields = DefinitionFields.Diff(observed.Fields, DefinitionFields.OfNetwork(XElement.Parse(network.Xml)));
                changes.Add(new(ResourceKind.Network, network.Name, ChangeAction.Replace,
                    DefinitionFields.Describe(fields) + ": redefined and restarted; running VMs on it lose their link until restarted",
                    new NetworkWork(network, true, true, true)) { Fields = fields });
                continue;
            }
            var fixes = new List<string>();
            if (!observed.Active)
                fixes.Add("inactive: start it");
            if (!observed.Autostart)
                fixes.Add("autostart off: enable it");
            changes.Add(fixes.Count > 0
                ? new(ResourceKind.Network, network.Name, ChangeAction.Update, string.Join("; ", fixes),
                    new NetworkWork(network, Define: false, Start: !observed.Active, Autostart: !observed.Autostart))
                : new(ResourceKind.Network, network.Name, ChangeAction.Unchanged, "up to date", network));
            PlanDhcpHosts(network, observed, changes);
        }
        foreach (var observed in actual.Networks.Where(n => owned.Owns(n) && desired.Networks.All(d => d.Name != n.Name)))
            changes.Add(new(ResourceKind.Network, observed.Name, ChangeAction.Delete, "not in the topology any more", observed));
    }

    /// <summary>Fixed leases change as OS nodes come and go; they are applied live, without restarting the network.</summary>
    private static void PlanDhcpHosts(DesiredNetwork network, ObservedNetwork observed, List<PlannedChange> changes)
    {
        foreach (var host in network.Hosts)
        {
            var name = $"{network.Name}/{host.Name}";
            var current = observed.Hosts.FirstOrDefault(h => string.Equals(h.MacAddress, host.MacAddress, StringComparison.OrdinalIgnoreCase));
            if (current is null)
                changes.Add(new(ResourceKind.DhcpHost, name, ChangeAction.Create, $"fixed lease {host.Address} for {host.MacAddress}", (network.Name, host)));
            else if (!current.Address.Equals(host.Address) || current.Name != host.Name)
                changes.Add(new(ResourceKind.DhcpHost, name, ChangeAction.Replace, $"lease was {current.Address} ({current.Name}), now {host.Address}", (network.Name, host, current)));
            else
                changes.Add(new(ResourceKind.DhcpHost, name, ChangeAction.Unchanged, $"{host.Address}", (network.Name, host)));
        }
        foreach (var stale in observed.Hosts.Where(h => network.Hosts.All(d => !string.Equals(d.MacAddress, h.MacAddress, StringComparison.OrdinalIgnoreCase))))
            changes.Add(new(ResourceKind.DhcpHost, $"{network.Name}/{stale.Name}", ChangeAction.Delete, "no such node any more", (network.Name, stale)));
    }

    /// <summary>Returns the nodes whose disks must be recreated (their domains are recreated with them).</summary>
    private static HashSet<string> PlanVolumes(DesiredState desired, ActualState actual, Ownership owned, List<PlannedChange> changes, List<string> conflicts)
    {
        var replacedNodes = new HashSet<string>(StringComparer.Ordinal);
        foreach (var volume in desired.Volumes)
        {
            var observed = actual.Volumes.FirstOrDefault(v => v.Name == volume.Name);
            var recorded = owned.VolumeSpec(volume.Name);
            if (observed is null)
            {
                changes.Add(new(ResourceKind.Volume, volume.Name, ChangeAction.Create,
                    recorded is null ? volume.Content is null ? "new disk" : "new cloud-init seed" : "recorded but missing: recreate", volume));
                continue;
            }
            if (recorded is null)
            {
                conflicts.Add($"volume '{volume.Name}' exists in the pool and is not owned by workspace '{owned.Workspace}'");
                continue;
            }
            if (recorded != volume.SpecHash || observed.CapacityBytes > volume.CapacityBytes)
            {
                var fields = recorded != volume.SpecHash ? DefinitionFields.Diff(observed.Fields, DefinitionFields.OfVolume(XElement.Parse(volume.Xml))) : [];
                changes.Add(new(ResourceKind.Volume, volume.Name, ChangeAction.Replace,
                    volume.Content is not null ? "seed changed: rewritten (cloud-init reads it on an instance's first boot)"
                    : recorded != volume.SpecHash ? DefinitionFields.Describe(fields) + ": the disk is recreated (its contents are lost)"
                    : $"shrinking a disk is not possible in place: recreated ({Gib(observed.CapacityBytes)} → {Gib(volume.CapacityBytes)})", volume) { Fields = fields });
                // The domain keeps a seed's path, so only a disk's replacement recreates its node.
                if (volume.Content is null)
                    replacedNodes.Add(volume.Node);
            }
            else if (observed.CapacityBytes < volume.CapacityBytes)
            {
                changes.Add(new(ResourceKind.Volume, volume.Name, ChangeAction.Update,
                    $"grow from {Gib(observed.CapacityBytes)} to {Gib(volume.CapacityBytes)}", volume));
            }
            else
            {
                changes.Add(new(ResourceKind.Volume, volume.Name, ChangeAction.Unchanged, "up to date", volume));
            }
        }
        foreach (var name in owned.VolumeNames.Where(name => desired.Volumes.All(v => v.Name != name)))
            changes.Add(new(ResourceKind.Volume, name, ChangeAction.Delete, "its node is not in the topology any more", name));
        return replacedNodes;
    }

    private static void PlanDomains(DesiredState desired, ActualState actual, Ownership owned, HashSet<string> replacedVolumeNodes,
        List<PlannedChange> changes, List<string> conflicts)
    {
        foreach (var domain in desired.Domains)
        {
            var observed = actual.Domains.FirstOrDefault(d => d.Name == domain.Name);
            if (observed is null)
            {
                changes.Add(new(ResourceKind.Domain, domain.Name, ChangeAction.Create,
                    domain.StartOnCreate ? "new node, started" : "new bare-metal node, left powered off for Ironic",
                    new DomainWork(domain, Define: true, Start: domain.StartOnCreate)));
                continue;
            }
            if (!owned.Owns(observed))
            {
                conflicts.Add($"domain '{domain.Name}' exists and is not owned by workspace '{owned.Workspace}'" +
                              (observed.Owner is { } owner ? $" (it belongs to workspace '{owner.Workspace}')" : ""));
                continue;
            }
            var start = domain.KeepRunning && !observed.Running;
            if (replacedVolumeNodes.Contains(domain.Name))
                changes.Add(new(ResourceKind.Domain, domain.Name, ChangeAction.Replace, "its disks are recreated",
                    new DomainWork(domain, Define: true, Start: domain.StartOnCreate || observed.Running)));
            else if (observed.SpecHash != domain.SpecHash)
            {
                var fields = DefinitionFields.Diff(observed.Fields, DefinitionFields.OfDomain(XElement.Parse(domain.Xml)));
                changes.Add(new(ResourceKind.Domain, domain.Name, ChangeAction.Update,
                    DefinitionFields.Describe(fields) + (observed.Running ? "; redefined, takes effect at its next power cycle" : "; redefined"),
                    new DomainWork(domain, Define: true, Start: start)) { Fields = fields });
            }
            else if (start)
                changes.Add(new(ResourceKind.Domain, domain.Name, ChangeAction.Update, "OS node is shut off: start it",
                    new DomainWork(domain, Define: false, Start: true)));
            else
                changes.Add(new(ResourceKind.Domain, domain.Name, ChangeAction.Unchanged, observed.Running ? "up to date, running" : "up to date, powered off", domain));
        }
        foreach (var observed in actual.Domains.Where(d => owned.Owns(d) && desired.Domains.All(w => w.Name != d.Name)))
            changes.Add(new(ResourceKind.Domain, observed.Name, ChangeAction.Delete, "not in the topology any more", observed));
    }

    private static string Gib(long bytes) => Topology.Sizes.Format(bytes);

    /// <summary>Node name of a volume named <c>&lt;node&gt;-diskN.qcow2</c> or <c>&lt;node&gt;-seed.iso</c>.</summary>
    internal static string VolumeNode(string volumeName)
    {
        if (volumeName.EndsWith(Images.NoCloudSeed.VolumeSuffix, StringComparison.Ordinal))
            return volumeName[..^Images.NoCloudSeed.VolumeSuffix.Length];
        var dash = volumeName.LastIndexOf("-disk", StringComparison.Ordinal);
        return dash > 0 ? volumeName[..dash] : volumeName;
    }

    /// <summary>Node name of a fixed lease named <c>&lt;node&gt;</c> or <c>&lt;node&gt;-nicN</c>.</summary>
    internal static string NodeOfHostName(string hostName)
    {
        var dash = hostName.LastIndexOf("-nic", StringComparison.Ordinal);
        return dash > 0 ? hostName[..dash] : hostName;
    }

    /// <summary>Who owns what, from owner marks and the workspace record.</summary>
    private sealed class Ownership(WorkspaceRecord? record, string workspace)
    {
        public string Workspace { get; } = workspace;

        public bool Owns(ObservedDomain domain) => domain.Owner?.Workspace == Workspace;

        public bool Owns(ObservedNetwork network) =>
            network.Owner is { } owner ? owner.Workspace == Workspace : record?.Networks.ContainsKey(network.Name) == true;

        public string? NetworkSpec(ObservedNetwork network) =>
            network.SpecHash ?? (record?.Networks.TryGetValue(network.Name, out var hash) == true ? hash : null);

        public string? VolumeSpec(string name) => record?.Volumes.TryGetValue(name, out var hash) == true ? hash : null;

        /// <summary>Recorded volumes, whether or not they still exist.</summary>
        public IEnumerable<string> VolumeNames => record?.Volumes.Keys ?? Enumerable.Empty<string>();
    }
}
