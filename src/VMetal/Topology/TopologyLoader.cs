using VMetal.Catalog;
using VMetal.Topology.Yaml;

namespace VMetal.Topology;

/// <summary>
/// Loads, overrides, binds and validates a topology. Nothing here touches a host: the result is
/// either a fully validated <see cref="Topology"/> or a list of errors with locations.
/// </summary>
public static class TopologyLoader
{
    public static async Task<TopologyLoadResult> LoadAsync(TopologyRequest request, CancellationToken cancellationToken)
    {
        var diagnostics = new Diagnostics();
        var topology = await LoadAsync(request, diagnostics, cancellationToken);
        return new TopologyLoadResult(diagnostics.HasErrors ? null : topology, diagnostics.Errors, diagnostics.Warnings);
    }

    private static async Task<LabTopology?> LoadAsync(TopologyRequest request, Diagnostics diagnostics, CancellationToken cancellationToken)
    {
        var octets = request.Octets ?? NetworkOctets.DefaultFor(request.Prefix);
        CheckRequest(request, octets, diagnostics);
        var sources = new TopologySources(request.TopologyDirectory);
        var overrides = Override.Parse(request.ExtraVars, diagnostics);

        var (groups, layoutChoice) = await SelectAsync(request, diagnostics, cancellationToken);
        if (groups is null)
            return null;
        var nodeFiles = new List<(NodeGroup Group, string Type, YamlMap? Map)>();
        foreach (var group in groups)
            nodeFiles.Add(await NodeFileAsync(group, sources, diagnostics, cancellationToken));
        var layoutFile = layoutChoice.Inline is { } inline
            ? new SourceFile("inline", inline.Origin.File ?? "", inline.Clone())
            : await sources.LayoutAsync(layoutChoice.Reference!, layoutChoice.Origin, diagnostics, cancellationToken);
        if (diagnostics.HasErrors || layoutFile is null)
            return null;

        var layoutMap = (layoutFile.Root as YamlMap)?.Clone();
        var originalNames = NetworkNames(layoutMap);
        var knownTypes = sources.Names(BuiltInCatalog.NodesFolder).ToHashSet(StringComparer.Ordinal);
        var reportedTargets = new HashSet<string>(StringComparer.Ordinal);
        foreach (var @override in overrides)
        {
            var unused = @override.Target != Override.NetworksTarget && nodeFiles.All(file => file.Type != @override.Target);
            if (unused && (request.SkipOverridesOfUnusedNodeFiles || knownTypes.Contains(@override.Target)))
            {
                // As infrared does: a job template's overrides of types this job does not use. Said once per type.
                if (!request.SkipOverridesOfUnusedNodeFiles && reportedTargets.Add(@override.Target))
                    diagnostics.Warn($"{@override.TargetOrigin.Describe()}: ignored: this topology has no '{@override.Target}' nodes " +
                                     $"(node types used: {string.Join(", ", nodeFiles.Select(file => file.Type).Distinct())})");
                continue;
            }
            // A mistyped node file is one error, however many of its fields an extra-vars file sets.
            if (unused && !reportedTargets.Add(@override.Target))
                continue;
            Apply(@override, nodeFiles, layoutMap, layoutFile.Name, diagnostics);
        }

        var definitions = nodeFiles
            .Select(file => (file.Group, Definition: NodeDefinitionBinder.Bind(file.Type, file.Map, diagnostics)))
            .ToList();
        var layout = LayoutBinder.Bind(layoutFile.Name, layoutMap, octets, diagnostics);
        if (diagnostics.HasErrors || layout is null)
            return null;
        // A network renamed by an override keeps its node attachments (infrared forgets this).
        var renames = layout.Networks
            .Where(network => originalNames.TryGetValue(network.Key, out var original) && original != network.Name)
            .ToDictionary(network => originalNames[network.Key], network => network.Name, StringComparer.Ordinal);
        var builder = new TopologyBuilder(request, octets, diagnostics);
        return builder.Build(definitions.Select(pair => (pair.Group, pair.Definition!)).ToList(), layout, renames);
    }

    private static void CheckRequest(TopologyRequest request, NetworkOctets octets, Diagnostics diagnostics)
    {
        if (string.IsNullOrWhiteSpace(request.Workspace))
            diagnostics.Error("the workspace name is empty");
        if (request.Prefix is { } prefix && !SafeNames.IsValidObjectName(prefix))
            diagnostics.Error($"--prefix '{prefix}' may only use letters, digits, '-', '_' and '.', and must start with a letter or digit");
        if (octets.Net is < 0 or > 255 || octets.DataNet is < 0 or > 255)
            diagnostics.Error($"network octets must be 0-255, got net={octets.Net} data_net={octets.DataNet}");
        if (request.NodeCounts is not null && request.TopologyFile is not null)
            diagnostics.Error("--topology-nodes and --topology-file cannot be combined: the file lists its own nodes");
        if (request.NodeCounts is null && request.TopologyFile is null)
            diagnostics.Error("no nodes: give --topology-nodes name:count[,name:count] (e.g. undercloud:1,controller:3,compute:2) or --topology-file FILE");
        if (request.BaseImage is not null && request.BaseImageUrl is not null)
            diagnostics.Error("--image and --image-url cannot be combined: give the image's path on the hypervisor or its URL");
        if (request.BaseImage is { } path && !path.StartsWith('/'))
            diagnostics.Error($"--image '{path}' must be an absolute path on the hypervisor (e.g. /var/lib/libvirt/images/rhel-9.qcow2)");
        if (request.BaseImageUrl is { } url && !BaseImages.TryParseUrl(url, out _, out var problem))
            diagnostics.Error($"--image-url {problem}");
    }

    /// <summary>The node groups and layout, from <c>--topology-nodes</c>/<c>--topology-network</c> or a native file.</summary>
    private static async Task<(IReadOnlyList<NodeGroup>? Groups, LayoutChoice Layout)> SelectAsync(
        TopologyRequest request, Diagnostics diagnostics, CancellationToken cancellationToken)
    {
        var cliLayout = new LayoutChoice(request.NetworkLayout, null, Origin.FromArgument($"--topology-network '{request.NetworkLayout}'"));
        if (diagnostics.HasErrors)
            return (null, cliLayout);
        if (request.TopologyFile is { } path)
        {
            var origin = Origin.FromArgument($"--topology-file '{path}'");
            var file = File.Exists(path)
                ? await TopologySources.ReadFileAsync(path, origin, diagnostics, cancellationToken)
                : null;
            if (file is null)
            {
                if (!diagnostics.HasErrors)
                    diagnostics.Add(origin.Error("the file does not exist"));
                return (null, cliLayout);
            }
            var native = NativeTopologyFile.Bind(file, diagnostics);
            return (native?.Groups, native?.Layout ?? cliLayout);
        }
        var argument = Origin.FromArgument($"{NodeCounts.OptionName} '{request.NodeCounts}'");
        var counts = NodeCounts.Parse(request.NodeCounts!, out var errors);
        foreach (var error in errors)
            diagnostics.Add(error);
        return (errors.Count > 0 ? null : counts.Select(count => new NodeGroup(count.Definition, count.Count, argument, null, null)).ToList(), cliLayout);
    }

    private static async Task<(NodeGroup, string, YamlMap?)> NodeFileAsync(
        NodeGroup group, TopologySources sources, Diagnostics diagnostics, CancellationToken cancellationToken)
    {
        YamlMap? map;
        string type;
        if (group.InlineDefinition is { } inline)
        {
            map = inline.Clone();
            type = (map.Get("name") as YamlScalar)?.Text ?? "inline";
        }
        else
        {
            var file = await sources.NodeTypeAsync(group.Reference!, group.Origin, diagnostics, cancellationToken);
            type = file?.Name ?? group.Reference!;
            map = (file?.Root as YamlMap)?.Clone();
            if (file?.Root is { } root and not YamlMap)
                diagnostics.Add(root.Origin.Error($"node type '{type}' must be a mapping of fields (name, cpu, memory, disks, ...), got {root.Describe()}"));
        }
        if (map is not null && group.Overrides is { } overrides)
        {
            foreach (var entry in overrides.Entries)
                map.Merge(entry.Key, entry.KeyOrigin, entry.Value);
        }
        return (group, type, map);
    }

    private static void Apply(Override @override, List<(NodeGroup Group, string Type, YamlMap? Map)> nodeFiles, YamlMap? layout, string layoutName, Diagnostics diagnostics)
    {
        if (@override.Target == Override.NetworksTarget)
        {
            var networks = layout?.Get("networks") as YamlMap;
            var key = @override.Path[0];
            if (networks?.Get(key) is not YamlMap)
            {
                var existing = networks?.Entries.Select(entry => entry.Key).ToList() ?? [];
                diagnostics.Add(@override.Origin.Error(
                    $"network layout '{layoutName}' has no network '{key}'{Suggestions.DidYouMean(key, existing)} (it has: {string.Join(", ", existing)})"));
                return;
            }
            @override.ApplyTo(networks, diagnostics);
            return;
        }
        var matches = nodeFiles.Where(file => file.Type == @override.Target).ToList();
        if (matches.Count == 0)
        {
            var types = nodeFiles.Select(file => file.Type).ToList();
            diagnostics.Add(@override.TargetOrigin.Error(
                $"unknown node file '{@override.Target}' in override{Suggestions.DidYouMean(@override.Target, types)}; " +
                $"this topology uses: {string.Join(", ", types)} (and 'networks' for network overrides)"));
            return;
        }
        foreach (var match in matches.Where(match => match.Map is not null))
            @override.ApplyTo(match.Map!, diagnostics);
    }

    /// <summary>The <c>name</c> of each network key before overrides, to follow renames.</summary>
    private static Dictionary<string, string> NetworkNames(YamlMap? layout)
        => ((layout?.Get("networks") as YamlMap)?.Entries ?? [])
            .Where(entry => entry.Value is YamlMap network && network.Get("name") is YamlScalar)
            .ToDictionary(entry => entry.Key, entry => ((YamlScalar)((YamlMap)entry.Value).Get("name")!).Text, StringComparer.Ordinal);
}
