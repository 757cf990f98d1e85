using System.Net;
using VMetal.Rendering;
using VMetal.Topology;

namespace VMetal.Converge;

/// <summary>What `vmetal up` / `vmetal plan` should converge to.</summary>
public sealed record ConvergeRequest
{
    public required TopologyRequest Topology { get; init; }

    /// <summary>Host-side render choices; <see cref="RenderOptions.DomainType"/> is replaced unless <see cref="DomainType"/> is set.</summary>
    public RenderOptions Render { get; init; } = new();

    /// <summary>Forces kvm or qemu; null: kvm when the host has hardware virtualisation, else qemu.</summary>
    public DomainType? DomainType { get; init; }

    /// <summary>Start bare-metal nodes when they are created (normally Ironic powers them on).</summary>
    public bool StartBareMetal { get; init; }

    /// <summary>Only compute the plan.</summary>
    public bool PlanOnly { get; init; }

    /// <summary>Bring back nodes taken out with remove-nodes.</summary>
    public bool RestoreRemovedNodes { get; init; }

    /// <summary>Allow recreating existing disks (their contents are lost); otherwise such a plan is refused before any change.</summary>
    public bool RecreateDisks { get; init; }

    /// <summary>
    /// Runs after planning, before anything is applied, only when the plan changes something
    /// (`up` checks the host there: a no-op re-run needs no capacity check). Throwing stops the run.
    /// </summary>
    public Func<LabTopology, Plan, CancellationToken, Task>? BeforeApply { get; init; }
}

/// <param name="Before">What the host had before the run.</param>
public sealed record ConvergeResult(
    LabTopology Topology,
    DesiredState Desired,
    Plan Plan,
    HypervisorFacts Facts,
    WorkspaceRecord Record,
    ActualState Before,
    IReadOnlyList<AppliedChange> Applied,
    IReadOnlyList<string> Warnings)
{
    /// <summary>Planned changes applied, each once (<see cref="Applied"/> has a started domain twice: defined, then started).</summary>
    public int ChangesApplied => Applied.Where(applied => applied.Error is null).Select(applied => applied.Change).Distinct().Count();

    /// <summary>The lab in a few words, e.g. "2 nodes, 3 networks": its nodes, not the topology's (removed nodes are left out), and they are said to be out.</summary>
    public string Summary
    {
        get
        {
            var removed = Record.RemovedNodes.Count(name => Topology.Nodes.Any(node => node.Name == name));
            return $"{Desired.Domains.Count} nodes, {Topology.Networks.Count} networks" + (removed > 0 ? $"; {removed} removed, which up --restore-nodes brings back" : "");
        }
    }

    /// <summary>
    /// The lab's nodes in the order they joined it (<see cref="WorkspaceRecord.NodeOrder"/>), for the outputs: stable across
    /// re-runs, added types and raised counts, whatever order --topology-nodes names them in.
    /// </summary>
    public IReadOnlyList<DesiredDomain> DomainsInLabOrder => Record.InLabOrder(Desired.Domains, domain => domain.Name);

    /// <summary>Power state of each desired node after the run.</summary>
    public string StateAfter(DesiredDomain domain)
    {
        var change = Plan.Changes.FirstOrDefault(c => c.Kind == ResourceKind.Domain && c.Name == domain.Name);
        if (change?.Subject is DomainWork { Start: true } && !Plan.IsNoOp && Applied.Count > 0)
            return "running";
        var before = Before.Domains.FirstOrDefault(d => d.Name == domain.Name);
        return before is { Running: true } ? "running" : before is null && Applied.Count == 0 ? "absent" : "shut off";
    }
}

/// <summary>What a workspace has on the host now.</summary>
public sealed record LabStatus(
    string Workspace,
    WorkspaceRecord? Record,
    IReadOnlyList<ObservedDomain> Domains,
    IReadOnlyList<ObservedNetwork> Networks,
    IReadOnlyDictionary<string, string> LeasesByMac);

/// <summary>What a teardown removed.</summary>
public sealed record TeardownResult(IReadOnlyList<string> Workspaces, Plan Plan, IReadOnlyList<AppliedChange> Applied);

/// <summary>Hooks for showing a run's progress.</summary>
public interface IConvergeProgress
{
    void Status(string message);

    void Warning(string message);

    void Planned(Plan plan);

    void Applied(AppliedChange change);
}

/// <summary>
/// One converge run: validates the topology before contacting the host, takes the host's lock,
/// reads what this workspace owns, picks free subnets for a new prefixed lab, plans, and
/// applies. Re-running with the same input plans nothing but "unchanged".
/// </summary>
public sealed class ConvergeEngine(
    IHypervisor hypervisor,
    IWorkspaceRecordStore records,
    Func<CancellationToken, Task<IAsyncDisposable>> acquireHostLock)
{
    /// <summary>Loads and validates a topology; bad input fails here, before any host is contacted.</summary>
    public static async Task<LabTopology> LoadTopologyAsync(TopologyRequest request, Action<string>? warn, CancellationToken cancellationToken)
    {
        var result = await TopologyLoader.LoadAsync(request, cancellationToken);
        var topology = result.GetTopologyOrThrow(); // on failure the exception carries the warnings too
        foreach (var warning in result.Warnings)
            warn?.Invoke(warning);
        return topology;
    }

    public async Task<ConvergeResult> ConvergeAsync(ConvergeRequest request, IConvergeProgress progress, CancellationToken cancellationToken)
    {
        var workspace = request.Topology.Workspace;
        WorkspaceRecord.RequireValidName(workspace);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        void Timed(string what) => progress.Status($"{what} ({clock.ElapsedMilliseconds} ms)");
        var draft = await LoadTopologyAsync(request.Topology, null, cancellationToken);
        Timed("topology loaded");

        await using var hostLock = await acquireHostLock(cancellationToken);
        Timed("host lock taken");
        var allRecords = await records.LoadAllAsync(cancellationToken);
        Timed($"{allRecords.Records.Count} workspace record(s) read");
        var facts = await hypervisor.GetFactsAsync(cancellationToken);
        Timed("host facts read");
        var mine = allRecords.Mine(workspace, facts.Hostname);
        RefusePrefixChange(mine, request.Topology.Prefix, workspace);
        var others = allRecords.Records.Where(r => r.Workspace != workspace).ToList();
        var render = request.Render with
        {
            DomainType = request.DomainType ?? (facts.KvmAvailable ? DomainType.Kvm : DomainType.Qemu),
        };
        var warnings = allRecords.WarningsForOthers(workspace).ToList();
        if (render.DomainType == DomainType.Qemu && request.DomainType is null)
            warnings.Add($"{facts.Hostname} has no usable KVM: VMs run under software emulation (type='qemu'), much slower than on a KVM host");

        var volumeNames = draft.Nodes.SelectMany(node => node.Disks).Select(disk => disk.VolumeName)
            .Concat((IEnumerable<string>?)mine?.Volumes.Keys ?? []).ToHashSet(StringComparer.Ordinal);
        var actual = await hypervisor.ObserveAsync(mine?.PoolName is { Length: > 0 } recordedPool ? recordedPool : render.PoolName,
            render.PoolPath, volumeNames, cancellationToken);
        Timed($"observed {actual.Domains.Count} domains, {actual.Networks.Count} networks, {actual.Volumes.Count} volumes");

        var octets = await ChooseOctetsAsync(request.Topology, mine, others, actual, draft, cancellationToken);
        var topology = octets == draft.Octets ? draft
            : await LoadTopologyAsync(request.Topology with { Octets = octets }, null, cancellationToken);

        RefuseSubnetCollisions(topology, actual, mine, workspace);
        var removed = request.RestoreRemovedNodes ? new SortedSet<string>(StringComparer.Ordinal) : mine?.RemovedNodes ?? new SortedSet<string>(StringComparer.Ordinal);
        var desired = Without(DesiredState.From(topology, render, request.StartBareMetal), removed);
        warnings.AddRange(desired.Warnings);
        if (removed.Count > 0)
            warnings.Add($"left out (removed with remove-nodes; --restore-nodes brings them back): {string.Join(", ", removed)}");
        foreach (var warning in warnings)
            progress.Warning(warning);

        var plan = Planner.PlanConverge(desired, actual, mine, workspace) with { Warnings = warnings };
        Timed("planned");
        progress.Planned(plan);
        var record = (mine ?? new WorkspaceRecord { Workspace = workspace }) with
        {
            Prefix = topology.Prefix ?? "",
            NetOctet = octets.Net,
            DataNetOctet = octets.DataNet,
            PoolName = actual.Pool?.Name ?? render.PoolName,
            RemovedNodes = removed,
            NodeOrder = OrderNodes(mine?.NodeOrder, topology.Nodes.Select(node => node.Name)),
        };
        if (request.PlanOnly || (plan.IsNoOp && mine is not null && mine == record))
            return new ConvergeResult(topology, desired, plan, facts, mine ?? record, actual, [], warnings);

        if (RecreateRefusal(plan, request.RecreateDisks) is { } refusal)
            throw refusal;

        if (!plan.IsNoOp && request.BeforeApply is { } beforeApply)
        {
            await beforeApply(topology, plan, cancellationToken);
            Timed("host checked");
        }
        var applied = new List<AppliedChange>();
        var executor = new PlanExecutor(hypervisor, records);
        var final = await executor.ApplyAsync(plan, record, record.PoolName, change =>
        {
            lock (applied)
                applied.Add(change);
            progress.Applied(change);
        }, cancellationToken);
        Timed("applied");
        return new ConvergeResult(topology, desired, plan, facts, final, actual, applied, warnings);
    }

    /// <summary>
    /// Guessing wrong here loses someone's deployed node: recreating a disk must be asked for (--recreate-disks).
    /// Returns the refusal `up` throws before any change when the plan recreates disks without it, else null.
    /// </summary>
    public static VMetalException? RecreateRefusal(Plan plan, bool allowed)
    {
        var recreated = plan.Changes.Where(c => c is { Kind: ResourceKind.Volume, Action: ChangeAction.Replace, Subject: DesiredVolume { Content: null } }).ToList();
        return recreated.Count == 0 || allowed ? null : new VMetalException(FailureKind.BadInput,
            $"this run would recreate {recreated.Count} existing disk(s), losing their contents: " +
            string.Join("; ", recreated.Select(c => $"{c.Name} ({c.Reason})")) +
            ". Run with the input that built them (the same --image-url / --image, disk sizes and bus), or pass --recreate-disks");
    }

    /// <summary>Removes everything the workspace owns: domains (with NVRAM), disks, networks (and their leases), its record.</summary>
    public Task<TeardownResult> DownAsync(string workspace, IConvergeProgress progress, CancellationToken cancellationToken) =>
        DownAsync(workspace, null, progress, cancellationToken);

    /// <inheritdoc cref="DownAsync(string, IConvergeProgress, CancellationToken)"/>
    /// <param name="prefix">The prefix the caller believes the lab has (infrared passes it with --kill): another one is refused before any change.</param>
    public Task<TeardownResult> DownAsync(string workspace, string? prefix, IConvergeProgress progress, CancellationToken cancellationToken)
    {
        WorkspaceRecord.RequireValidName(workspace);
        return TeardownAsync(records => records.Where(r => r.Workspace == workspace).ToList(),
            unreadable => unreadable.Where(u => u.Workspace == workspace).ToList(),
            domain => domain.Owner?.Workspace == workspace, null, progress, (workspace, prefix), cancellationToken);
    }

    /// <summary>
    /// Removes every vmetal-owned object on the host (every workspace's), or only the labs with
    /// exactly <paramref name="prefix"/>. Objects without vmetal's mark are never touched.
    /// </summary>
    public Task<TeardownResult> CleanupAsync(string? prefix, IConvergeProgress progress, CancellationToken cancellationToken) =>
        TeardownAsync(records => records.Where(r => prefix is null || r.Prefix == prefix).ToList(),
            unreadable => prefix is null ? [.. unreadable] : [], // an unreadable record's prefix is unknown
            domain => domain.Owner is { } owner && (prefix is null || owner.Prefix == prefix), null, progress, null, cancellationToken);

    /// <summary>Removes some nodes of a workspace (domain, disks, fixed leases); `up` leaves them out afterwards.</summary>
    public Task<TeardownResult> RemoveNodesAsync(string workspace, IReadOnlyCollection<string> nodes, IConvergeProgress progress,
        CancellationToken cancellationToken) => RemoveNodesAsync(workspace, null, nodes, progress, cancellationToken);

    /// <param name="prefix">As for <see cref="DownAsync(string, string?, IConvergeProgress, CancellationToken)"/>.</param>
    public async Task<TeardownResult> RemoveNodesAsync(string workspace, string? prefix, IReadOnlyCollection<string> nodes, IConvergeProgress progress,
        CancellationToken cancellationToken)
    {
        var selected = nodes.ToHashSet(StringComparer.Ordinal);
        return await TeardownAsync(records => records.Where(r => r.Workspace == workspace).ToList(),
            unreadable => unreadable.Where(u => u.Workspace == workspace).ToList(),
            domain => domain.Owner?.Workspace == workspace, selected, progress, (workspace, prefix), cancellationToken);
    }

    /// <summary>
    /// The prefix check of <see cref="DownAsync(string, string?, IConvergeProgress, CancellationToken)"/> and
    /// <see cref="RemoveNodesAsync(string, string?, IReadOnlyCollection{string}, IConvergeProgress, CancellationToken)"/> alone:
    /// read-only and without the host lock, so a command refuses before it announces any work. They check again under the lock.
    /// </summary>
    /// <exception cref="VMetalException">BadInput: the workspace's lab has another prefix.</exception>
    public async Task CheckPrefixAsync(string workspace, string? prefix, CancellationToken cancellationToken)
    {
        if (prefix is null)
            return;
        var all = await records.LoadAllAsync(cancellationToken);
        // As the teardown: an unreadable record of its own does not stop it, the marks of its domains still say its prefix.
        var mine = all.Records.FirstOrDefault(r => r.Workspace == workspace);
        var actual = await hypervisor.ObserveAsync(mine?.PoolName ?? "", "", [], cancellationToken);
        RefuseOtherPrefix(all, mine, actual.Domains.Where(d => d.Owner?.Workspace == workspace).ToList(), workspace, prefix);
    }

    public Task<LabStatus> StatusAsync(string workspace, CancellationToken cancellationToken) => StatusAsync(workspace, null, cancellationToken);

    /// <param name="prefix">As for <see cref="DownAsync(string, string?, IConvergeProgress, CancellationToken)"/>.</param>
    public async Task<LabStatus> StatusAsync(string workspace, string? prefix, CancellationToken cancellationToken)
    {
        var all = await records.LoadAllAsync(cancellationToken);
        var mine = all.Mine(workspace, "the hypervisor");
        var actual = await hypervisor.ObserveAsync(mine?.PoolName ?? "", "", [], cancellationToken);
        // In the order the nodes joined the lab, as the outputs list them.
        var owned = actual.Domains.Where(d => d.Owner?.Workspace == workspace).OrderBy(d => d.Name, StringComparer.Ordinal).ToList();
        var domains = mine?.InLabOrder(owned, d => d.Name) ?? owned;
        RefuseOtherPrefix(all, mine, domains, workspace, prefix);
        var networks = actual.Networks.Where(n => n.Owner?.Workspace == workspace || mine?.Networks.ContainsKey(n.Name) == true).ToList();
        var leases = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var list in await Task.WhenAll(networks.Where(n => n.Active).Select(n => hypervisor.GetLeasesAsync(n.Name, cancellationToken))))
        {
            foreach (var (mac, address) in list)
                leases[mac] = address;
        }
        return new LabStatus(workspace, mine, domains, networks, leases);
    }

    private async Task<TeardownResult> TeardownAsync(Func<IReadOnlyList<WorkspaceRecord>, List<WorkspaceRecord>> selectRecords,
        Func<IReadOnlyList<UnreadableWorkspaceRecord>, List<UnreadableWorkspaceRecord>> selectUnreadable, Func<ObservedDomain, bool> selectDomains, IReadOnlySet<string>? nodes, IConvergeProgress progress,
        (string Workspace, string? Prefix)? expected, CancellationToken cancellationToken)
    {
        await using var hostLock = await acquireHostLock(cancellationToken);
        var all = await records.LoadAllAsync(cancellationToken);
        var chosen = selectRecords(all.Records);
        // An unreadable record cannot say which disks are its workspace's, but the marks in the
        // domain and network XML still do: those go, the record is set aside, the disks stay.
        var unreadable = selectUnreadable(all.Unreadable);
        // Removing some nodes rewrites the record: an unreadable one must be fixed first.
        if (nodes is not null && unreadable.Count > 0)
            throw WorkspaceRecordSet.Unusable(unreadable[0], "the hypervisor");
        foreach (var bad in all.Unreadable.Except(unreadable))
            progress.Warning($"workspace record {bad.Path} is unreadable ({bad.Reason}); workspace '{bad.Workspace}' is left alone");
        foreach (var bad in unreadable)
            progress.Warning($"workspace record {bad.Path} is unreadable ({bad.Reason}): workspace '{bad.Workspace}' loses only what "
                             + "its domain and network marks prove; its disks, if any, stay in the pool, and the record is set aside");
        var volumeNames = chosen.SelectMany(r => r.Volumes.Keys).ToHashSet(StringComparer.Ordinal);
        var pools = chosen.Select(r => r.PoolName).Where(p => p.Length > 0).Distinct(StringComparer.Ordinal).ToList();
        var actual = await hypervisor.ObserveAsync(pools.FirstOrDefault() ?? "", "", volumeNames, cancellationToken);
        if (expected is { } lab)
            RefuseOtherPrefix(all, chosen.FirstOrDefault(), actual.Domains.Where(selectDomains).ToList(), lab.Workspace, lab.Prefix);
        // Domains marked by vmetal whose record is gone are still vmetal's: remove them too.
        var workspaces = chosen.Select(r => r.Workspace)
            .Concat(unreadable.Select(u => u.Workspace))
            .Concat(actual.Domains.Where(selectDomains).Select(d => d.Owner!.Workspace))
            .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();

        if (nodes is not null)
        {
            var known = actual.Domains.Where(selectDomains).Select(d => d.Name)
                .Concat(volumeNames.Select(Planner.VolumeNode)).ToHashSet(StringComparer.Ordinal);
            // A node removed before is no error: a repeated remove-nodes (a retried CI step) changes nothing and succeeds.
            var removedBefore = chosen.SelectMany(r => r.RemovedNodes).Where(n => !known.Contains(n)).ToHashSet(StringComparer.Ordinal);
            var unknown = nodes.Where(n => !known.Contains(n) && !removedBefore.Contains(n)).ToList();
            if (unknown.Count > 0)
                throw new VMetalException(FailureKind.BadInput, known.Count == 0 && removedBefore.Count == 0
                    ? $"no node {string.Join(", ", unknown)}: the workspace has no nodes on this hypervisor (check --workspace and --host)"
                    : $"no node {string.Join(", ", unknown)} in workspace '{workspaces[0]}'; its nodes: {string.Join(", ", known.Order(StringComparer.Ordinal))}"
                      + (removedBefore.Count > 0 ? $" (removed: {string.Join(", ", removedBefore.Order(StringComparer.Ordinal))})" : "")
                      + PrefixHint(unknown, chosen.FirstOrDefault()?.Prefix, known.Concat(removedBefore).ToHashSet(StringComparer.Ordinal)));
        }

        var allChanges = new List<PlannedChange>();
        var applied = new List<AppliedChange>();
        foreach (var workspace in workspaces)
        {
            var record = chosen.FirstOrDefault(r => r.Workspace == workspace);
            var plan = Planner.PlanRemoval(actual, record, workspace, nodes is null ? null : nodes.Contains);
            progress.Planned(plan);
            allChanges.AddRange(plan.Changes);
            var executor = new PlanExecutor(hypervisor, records);
            var baseRecord = record ?? new WorkspaceRecord { Workspace = workspace };
            if (nodes is not null)
                baseRecord = baseRecord with { RemovedNodes = new SortedSet<string>(baseRecord.RemovedNodes.Concat(nodes), StringComparer.Ordinal) };
            var final = await executor.ApplyAsync(plan, baseRecord, record?.PoolName ?? "", change =>
            {
                lock (applied)
                    applied.Add(change);
                progress.Applied(change);
            }, cancellationToken);
            if (unreadable.FirstOrDefault(u => u.Workspace == workspace) is { } bad)
                await records.SetAsideAsync(bad, cancellationToken);
            else if (nodes is null)
                await records.DeleteAsync(workspace, cancellationToken);
            else
                await records.SaveAsync(final, cancellationToken);
        }
        return new TeardownResult(workspaces, new Plan(allChanges, []), applied);
    }

    /// <summary>"compute-1" given for a lab with prefix "ab" whose node is "ab-compute-1": say so.</summary>
    private static string PrefixHint(IReadOnlyList<string> unknown, string? prefix, IReadOnlySet<string> names)
    {
        if (string.IsNullOrEmpty(prefix))
            return "";
        var meant = unknown.Select(n => $"{prefix}-{n}").Where(names.Contains).ToList();
        return meant.Count == 0 ? "" : $"; node names carry the lab's prefix: did you mean {string.Join(",", meant)}?";
    }

    /// <summary>
    /// The third octets of a lab's subnets: given on the command line, else what the workspace
    /// already uses, else infrared's defaults without a prefix; for a new prefixed lab the first
    /// pair above every other lab's (like infrared) whose subnets collide with no network on the host.
    /// </summary>
    private static async Task<NetworkOctets> ChooseOctetsAsync(TopologyRequest request, WorkspaceRecord? mine, IReadOnlyList<WorkspaceRecord> others,
        ActualState actual, LabTopology draft, CancellationToken cancellationToken)
    {
        var prefix = request.Prefix ?? "";
        var lab = mine is not null && mine.Prefix == prefix && (mine.NetOctet, mine.DataNetOctet) != (0, 0) ? mine : null;
        if (request.Octets is { } explicitOctets)
        {
            // One of the two given for an existing lab: the other stays the lab's, not the default.
            return lab is not null && request.GivenOctets is var (net, dataNet) && (net is null) != (dataNet is null)
                ? new NetworkOctets(net ?? lab.NetOctet, dataNet ?? lab.DataNetOctet)
                : explicitOctets;
        }
        if (lab is not null)
            return new NetworkOctets(lab.NetOctet, lab.DataNetOctet);
        if (prefix.Length == 0)
            return draft.Octets;

        var foreign = actual.Networks.Where(n => n.Owner?.Workspace != request.Workspace).SelectMany(n => n.Subnets).ToList();
        var maxNet = others.Where(r => r.Prefix.Length > 0).Select(r => r.NetOctet).DefaultIfEmpty(0).Max();
        var maxDataNet = others.Where(r => r.Prefix.Length > 0).Select(r => r.DataNetOctet).DefaultIfEmpty(14).Max();
        for (var step = 1; maxNet + (10 * step) <= 250 && maxDataNet + (10 * step) <= 250; step++)
        {
            var candidate = new NetworkOctets(maxNet + (10 * step), maxDataNet + (10 * step));
            var topology = await LoadTopologyAsync(request with { Octets = candidate }, null, cancellationToken);
            var subnets = topology.Networks.Select(n => n.Ipv4?.Subnet).OfType<IPNetwork>();
            if (!subnets.Any(subnet => foreign.Any(other => Overlaps(subnet, other))))
                return candidate;
        }
        throw new VMetalException(FailureKind.OperationFailed,
            "no free subnets left for a new prefixed lab on this host: pass --net-subnet and --data-subnet");
    }

    /// <summary>
    /// Two networks with overlapping subnets cannot both start (libvirt: "network is already in use"), and
    /// IPv6 ones would start and break routing: refuse before anything is created.
    /// </summary>
    private static void RefuseSubnetCollisions(LabTopology topology, ActualState actual, WorkspaceRecord? mine, string workspace)
    {
        var wanted = topology.Networks.Select(n => n.Name).ToHashSet(StringComparer.Ordinal);
        var foreign = actual.Networks.Where(n => n.Owner?.Workspace != workspace && mine?.Networks.ContainsKey(n.Name) != true
                                                 && !wanted.Contains(n.Name)).ToList(); // same name: the planner reports that conflict
        var collisions = (
            from network in topology.Networks
            from subnet in new[] { network.Ipv4?.Subnet, network.Ipv6?.Subnet }.OfType<IPNetwork>()
            from other in foreign
            from otherSubnet in other.Subnets
            where Overlaps(subnet, otherSubnet)
            select $"{network.Name} {subnet} overlaps {other.Name} {otherSubnet}").ToList();
        if (collisions.Count > 0)
            throw new VMetalException(FailureKind.BadInput,
                $"subnets collide with networks already on the host: {string.Join("; ", collisions)}. " +
                "Pick other subnets (--net-subnet/--data-subnet, or -e override.networks.<netN>.ip_address=…)");
    }

    /// <summary>A workspace holds one lab: another prefix would plan deleting all of it.</summary>
    private static void RefusePrefixChange(WorkspaceRecord? mine, string? prefix, string workspace)
    {
        if (mine is null || mine.OwnsNothing || mine.Prefix == (prefix ?? ""))
            return;
        static string Describe(string p) => p.Length == 0 ? "without a prefix" : $"with prefix '{p}'";
        throw new VMetalException(FailureKind.BadInput,
            $"workspace '{workspace}' holds a lab {Describe(mine.Prefix)} and this run asks for one {Describe(prefix ?? "")}: " +
            "converging would delete the existing lab. Give the new lab its own --workspace, or `vmetal down` the old one first");
    }

    /// <summary>
    /// `--prefix` given to a command that works on a workspace (status, down, remove-nodes; infrared passes it with --kill)
    /// names the lab the caller means: the workspace's lab (its record, else its domains' marks) must have it. A workspace
    /// with nothing on the host has no prefix to contradict.
    /// </summary>
    internal static void RefuseOtherPrefix(WorkspaceRecordSet all, WorkspaceRecord? mine, IReadOnlyList<ObservedDomain> domains, string workspace, string? prefix)
    {
        if (prefix is null)
            return;
        var actual = mine is { OwnsNothing: false } ? mine.Prefix : domains.Select(d => d.Owner?.Prefix).FirstOrDefault(p => p is not null);
        if (actual is null || actual == prefix)
            return;
        static string Describe(string p) => p.Length == 0 ? "without a prefix" : $"with prefix '{p}'";
        var holders = all.Records.Where(r => r.Prefix == prefix && r.Workspace != workspace && !r.OwnsNothing).Select(r => $"'{r.Workspace}'").ToList();
        throw new VMetalException(FailureKind.BadInput,
            $"workspace '{workspace}' holds the lab {Describe(actual)}, not {Describe(prefix)}: nothing was done. " +
            (holders.Count > 0
                ? $"The lab {Describe(prefix)} is workspace {string.Join(", ", holders)}: pass --workspace"
                : $"No workspace on the host holds a lab {Describe(prefix)}: pass the --workspace of that lab, or --prefix {(actual.Length == 0 ? "''" : actual)} for this one"));
    }

    internal static bool Overlaps(IPNetwork a, IPNetwork b) => a.Contains(b.BaseAddress) || b.Contains(a.BaseAddress);

    /// <summary>
    /// The lab's node order after this run: the nodes it had keep their places, nodes the topology no longer has leave it,
    /// new ones follow in topology order. The recorded list itself when nothing changed, so an unchanged run stays a no-op.
    /// </summary>
    internal static IReadOnlyList<string> OrderNodes(IReadOnlyList<string>? recorded, IEnumerable<string> nodes)
    {
        var wanted = nodes.ToList();
        var present = wanted.ToHashSet(StringComparer.Ordinal);
        var kept = (recorded ?? []).Where(present.Contains).ToList();
        var ordered = kept.Concat(wanted.Except(kept, StringComparer.Ordinal)).ToList();
        return recorded is not null && recorded.SequenceEqual(ordered, StringComparer.Ordinal) ? recorded : ordered;
    }

    /// <summary>Leaves removed nodes out: their domains, disks and fixed leases.</summary>
    private static DesiredState Without(DesiredState desired, IReadOnlySet<string> removed)
    {
        if (removed.Count == 0)
            return desired;
        var removedMacs = desired.Domains.Where(d => removed.Contains(d.Name))
            .SelectMany(d => d.Model.Nics.Select(nic => nic.MacAddress)).ToHashSet(StringComparer.OrdinalIgnoreCase);
        return desired with
        {
            Domains = desired.Domains.Where(d => !removed.Contains(d.Name)).ToList(),
            Volumes = desired.Volumes.Where(v => !removed.Contains(v.Node)).ToList(),
            Networks = desired.Networks.Select(n => n with { Hosts = n.Hosts.Where(h => !removedMacs.Contains(h.MacAddress)).ToList() }).ToList(),
        };
    }
}
