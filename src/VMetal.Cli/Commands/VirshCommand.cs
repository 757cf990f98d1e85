using System.CommandLine;
using System.Globalization;
using System.Numerics;
using VMetal.Cli.Options;
using VMetal.Converge;
using VMetal.Topology;

namespace VMetal.Cli.Commands;

/// <summary>
/// <c>vmetal virsh</c>: infrared's <c>virsh</c> provisioner command line, so a CI job switches by
/// replacing <c>infrared virsh</c> with <c>vmetal virsh</c>. It only translates: the flags become a
/// vmetal command line (up, plan, down, cleanup or remove-nodes), which the same command tree then runs.
/// </summary>
public sealed class VirshCommand : CommandBase
{
    private static readonly Argument<string[]> Flags = new("infrared-flags")
    {
        Description = "infrared virsh flags: " + string.Join(", ", InfraredFlags.All.Select(flag => flag.Alias is null ? flag.Name : $"{flag.Name}/{flag.Alias}")),
        Arity = ArgumentArity.ZeroOrMore,
    };

    public VirshCommand(CliServices services)
        : base("virsh", "infrared's virsh provisioner flags, run as vmetal up/plan (provision), down (--kill), cleanup (--cleanup) " +
                        "or remove-nodes (--remove-nodes); differences: docs/infrared-migration.md", services)
    {
        Arguments.Add(Flags);
    }

    protected override async Task<int> ExecuteAsync(CommandContext context, CancellationToken cancellationToken)
    {
        var output = context.Output;
        var invocation = InfraredInvocation.Parse(context.Get(Flags) ?? []);
        foreach (var warning in invocation.Warnings)
            output.Warning(warning);
        if (invocation.Ignored.Count > 0)
            output.Detail($"no effect here (as in infrared): {string.Join(", ", invocation.Ignored)}");
        var globals = GlobalArguments(context, invocation);
        if (invocation.Operation is VirshOperation.Provision or VirshOperation.Extend)
            invocation = await PreflightAsync(context, invocation, globals, cancellationToken);
        IReadOnlyList<string> arguments = [.. invocation.VmetalArguments, .. globals];
        output.Info($"running {InfraredInvocation.Display(arguments)}");
        return await Parse(context, arguments).InvokeAsync(context.ParseResult.InvocationConfiguration, cancellationToken);
    }

    /// <summary>vmetal's global options given on this command line (--workspace, --known-hosts, ...), for the command it runs.</summary>
    private static List<string> GlobalArguments(CommandContext context, InfraredInvocation invocation)
    {
        var arguments = new List<string>();
        foreach (var option in GlobalOptions.All)
        {
            if (context.ParseResult.GetResult(option) is not { Implicit: false } result)
                continue;
            if (invocation.HostOptions.Contains(option.Name))
            {
                throw new UsageException(option == GlobalOptions.Host
                    ? "give the hypervisor once: --host-address (infrared) or --host (vmetal), not both"
                    : "give the key once: --host-key (infrared) or --key (vmetal), not both");
            }
            arguments.Add(option.Name);
            arguments.AddRange(result.Tokens.Select(token => token.Value));
        }
        return arguments;
    }

    /// <summary>Parses a vmetal command line with the same command tree (no response files: '@' in a value is literal).</summary>
    private static ParseResult Parse(CommandContext context, IReadOnlyList<string> arguments)
    {
        var result = context.ParseResult.RootCommandResult.Command.Parse(arguments, new ParserConfiguration { ResponseFileTokenReplacer = null });
        if (result.Errors.Count > 0)
            throw new UsageException(string.Join("; ", result.Errors.Select(error => error.Message)));
        return result;
    }

    /// <summary>
    /// Before provisioning: validates the topology without contacting the host; refuses to converge
    /// a workspace that holds a lab with another prefix (infrared would have kept that lab); for
    /// --topology-extend, adds the counts to the lab's and refuses if anything existing would change.
    /// </summary>
    private static async Task<InfraredInvocation> PreflightAsync(CommandContext context, InfraredInvocation invocation,
        IReadOnlyList<string> globals, CancellationToken cancellationToken)
    {
        var requestContext = new CommandContext(Parse(context, [.. invocation.VmetalArguments, .. globals]), context.Output, context.Services);
        // The command it runs loads the topology again and prints its warnings: shown here, they would appear twice.
        // An extend names only the types it adds, with the overrides of the whole lab: the merged topology checks those.
        var draftRequest = TopologyOptions.ToRequest(requestContext) with { SkipOverridesOfUnusedNodeFiles = invocation.Operation == VirshOperation.Extend };
        var draft = await ConvergeEngine.LoadTopologyAsync(draftRequest, null, cancellationToken);
        var workspace = requestContext.WorkspaceName;
        if (invocation.Operation == VirshOperation.Provision)
        {
            await using var host = await requestContext.ConnectAsync(cancellationToken);
            var records = await new HostWorkspaceRecordStore(host).LoadAllAsync(cancellationToken);
            TopologyExtension.CheckSamePrefix(records.Mine(workspace, host.Target.ToString()), draft.Prefix, workspace);
            return invocation;
        }

        await using var lab = await LabSession.OpenAsync(requestContext, cancellationToken);
        var status = await lab.Engine.StatusAsync(workspace, cancellationToken);
        TopologyExtension.CheckSamePrefix(status.Record, draft.Prefix, workspace);
        var existing = TopologyExtension.ExistingCounts(status, draft);
        var requested = Topology.NodeCounts.Parse(invocation.NodeCounts ?? "", out _);
        var extended = invocation with { NodeCounts = TopologyExtension.Merge(requested, existing) };
        if (existing.Count == 0)
            return extended;

        var planContext = new CommandContext(Parse(context, [.. extended.VmetalArguments, .. globals]), context.Output, context.Services);
        // Planned exactly as `up` will run it, seed keys included, so only real changes to existing nodes count.
        var planRequest = ConvergeOptions.Request(planContext, planOnly: true);
        var planTopology = await ConvergeEngine.LoadTopologyAsync(planRequest.Topology, null, cancellationToken);
        planRequest = ConvergeOptions.WithSeedKeys(planContext, planRequest, planTopology, createKey: false);
        var result = await lab.Engine.ConvergeAsync(planRequest, new QuietProgress(context.Output), cancellationToken);
        var changes = TopologyExtension.ChangesToExisting(result.Plan);
        if (changes.Count > 0)
            throw new VMetalException(FailureKind.BadInput, TopologyExtension.Refusal(changes));
        context.Output.Info($"--topology-extend: workspace '{workspace}' has {string.Join(",", existing.Select(e => $"{e.Type}:{e.Count}"))}; " +
                            $"adding {invocation.NodeCounts} makes --topology-nodes {extended.NodeCounts}");
        return extended;
    }

    /// <summary>The extend check's plan is not shown: `up` shows its own.</summary>
    private sealed class QuietProgress(Output.IConsoleOutput output) : IConvergeProgress
    {
        public void Status(string message) => output.Detail(message);

        public void Warning(string message) => output.Detail(message);

        public void Planned(Plan plan)
        {
        }

        public void Applied(AppliedChange change)
        {
        }
    }
}

/// <summary>A node type and how many nodes of it a lab has (the next index to use).</summary>
internal sealed record TypeCount(string Type, int Count);

/// <summary>
/// infrared's --topology-extend: its counts are nodes to ADD (new indices continue after the
/// existing ones) and existing nodes are never touched. vmetal converges to a total, so the
/// counts are added to the workspace's and the run is refused if it would change what exists.
/// </summary>
internal static class TopologyExtension
{
    /// <summary>
    /// Counts per node type of the workspace's lab: one more than the highest index among its
    /// domains and its removed nodes (so a removed node's name is not reused). Types are in
    /// the order their OS nodes got fixed leases (topology order, which leases depend on), then by name.
    /// </summary>
    public static IReadOnlyList<TypeCount> ExistingCounts(LabStatus status, LabTopology draft)
    {
        var typeOfNode = new Dictionary<string, string>(StringComparer.Ordinal);
        var stems = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var domain in status.Domains)
        {
            if (domain.Owner is not { Type.Length: > 0 } owner || Split(domain.Name) is not { } split)
                continue;
            typeOfNode[domain.Name] = owner.Type;
            stems[split.Stem] = owner.Type;
        }
        foreach (var node in draft.Nodes)
        {
            if (Split(node.Name) is { } split)
                stems.TryAdd(split.Stem, node.Type);
        }

        var next = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var name in typeOfNode.Keys.Concat(status.Record?.RemovedNodes ?? []))
        {
            if (Split(name) is { } split && stems.TryGetValue(split.Stem, out var type))
                next[type] = Math.Max(next.GetValueOrDefault(type), split.Index + 1);
        }

        var rank = LeaseRank(status, typeOfNode);
        return next.OrderBy(entry => rank.GetValueOrDefault(entry.Key, int.MaxValue)).ThenBy(entry => entry.Key, StringComparer.Ordinal)
            .Select(entry => new TypeCount(entry.Key, entry.Value)).ToList();
    }

    /// <summary>The lab's counts plus the requested ones; requested types the lab lacks come last, in the order given.</summary>
    public static string Merge(IReadOnlyList<NodeCount> requested, IReadOnlyList<TypeCount> existing)
    {
        var byType = requested.ToDictionary(entry => TypeOf(entry.Definition), StringComparer.Ordinal);
        var merged = existing.Select(entry => byType.TryGetValue(entry.Type, out var extra)
            ? new NodeCount(extra.Definition, entry.Count + extra.Count)
            : new NodeCount(entry.Type, entry.Count)).ToList();
        merged.AddRange(requested.Where(entry => existing.All(e => e.Type != TypeOf(entry.Definition))));
        return string.Join(',', merged.Select(entry => $"{entry.Definition}:{entry.Count.ToString(CultureInfo.InvariantCulture)}"));
    }

    /// <summary>What an extend may not do: anything but creating objects, and starting or activating existing ones.</summary>
    public static IReadOnlyList<PlannedChange> ChangesToExisting(Plan plan) => plan.Changes.Where(change => change.Action switch
    {
        ChangeAction.Unchanged or ChangeAction.Create => false,
        ChangeAction.Update => change.Subject switch
        {
            DomainWork work => work.Define,
            NetworkWork work => work.Define,
            _ => change.Kind != ResourceKind.Pool,
        },
        _ => true,
    }).ToList();

    public static string Refusal(IReadOnlyList<PlannedChange> changes)
    {
        var listed = changes.Take(5).Select(c => $"{c.Action.ToString().ToLowerInvariant()} {c.Kind.ToString().ToLowerInvariant()} {c.Name} ({c.Reason})");
        var more = changes.Count > 5 ? $" and {changes.Count - 5} more" : "";
        return "--topology-extend only adds nodes, but this run would also change what exists: " + string.Join("; ", listed) + more +
               ". Give the same --topology-network, -e overrides and flags as the run that built the lab, " +
               "or drop --topology-extend to converge to exactly the given --topology-nodes";
    }

    /// <summary>A workspace holds one lab: converging it with another prefix would delete the lab it has.</summary>
    public static void CheckSamePrefix(WorkspaceRecord? record, string? prefix, string workspace)
    {
        if (record is null || record.OwnsNothing || record.Prefix == (prefix ?? ""))
            return;
        static string Describe(string? p) => string.IsNullOrEmpty(p) ? "without a prefix" : $"with prefix '{p}'";
        throw new VMetalException(FailureKind.BadInput,
            $"workspace '{workspace}' holds a lab {Describe(record.Prefix)} and this run asks for one {Describe(prefix)}: " +
            "converging would delete the existing lab (infrared would keep both). Give each lab its own workspace " +
            "(--workspace NAME or VMETAL_WORKSPACE), or remove the old lab first (--kill yes)");
    }

    /// <summary>The type a --topology-nodes entry names: a path's file name without extension, else the name.</summary>
    internal static string TypeOf(string definition) =>
        definition.Contains('/', StringComparison.Ordinal) || definition.EndsWith(".yml", StringComparison.OrdinalIgnoreCase)
            || definition.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase)
            ? Path.GetFileNameWithoutExtension(definition)
            : definition;

    /// <summary><c>[prefix-]name-index</c> split into the part before the index and the index.</summary>
    private static (string Stem, int Index)? Split(string nodeName)
    {
        var dash = nodeName.LastIndexOf('-');
        return dash > 0 && int.TryParse(nodeName.AsSpan(dash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var index)
            ? (nodeName[..dash], index)
            : null;
    }

    /// <summary>Position of each type's first fixed lease on the network with the most of them.</summary>
    private static Dictionary<string, int> LeaseRank(LabStatus status, IReadOnlyDictionary<string, string> typeOfNode)
    {
        var rank = new Dictionary<string, int>(StringComparer.Ordinal);
        var network = status.Networks.MaxBy(n => n.Hosts.Count);
        if (network is null)
            return rank;
        var ordered = network.Hosts.OrderBy(h => new BigInteger(h.Address.GetAddressBytes(), isUnsigned: true, isBigEndian: true)).ToList();
        for (var position = 0; position < ordered.Count; position++)
        {
            var name = ordered[position].Name;
            var nic = name.LastIndexOf("-nic", StringComparison.Ordinal);
            if (typeOfNode.TryGetValue(nic > 0 ? name[..nic] : name, out var type))
                rank.TryAdd(type, position);
        }
        return rank;
    }
}
