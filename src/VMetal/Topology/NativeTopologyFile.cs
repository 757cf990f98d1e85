using VMetal.Topology.Yaml;

namespace VMetal.Topology;

/// <summary>A group of identical nodes: a node definition (by name/path, or inline) and a count.</summary>
/// <param name="Reference">Name or path of the node definition, or null for an inline definition.</param>
/// <param name="Overrides">Fields merged over the definition before <c>-e</c> overrides (native files only).</param>
internal sealed record NodeGroup(string? Reference, int Count, Origin Origin, YamlMap? InlineDefinition, YamlMap? Overrides);

/// <summary>A layout by name/path, or inline.</summary>
internal sealed record LayoutChoice(string? Reference, YamlMap? Inline, Origin Origin);

internal sealed record NativeTopology(LayoutChoice? Layout, IReadOnlyList<NodeGroup> Groups);

/// <summary>
/// vmetal's single-file topology: a header <c>vmetal-topology: 1</c>, a <c>network:</c> (layout name or
/// an inline layout in infrared's format) and <c>nodes:</c>, a list of groups
/// (<c>type</c> or inline <c>definition</c>, <c>count</c>, optional <c>override</c> fields).
/// </summary>
internal static class NativeTopologyFile
{
    public const string Header = "vmetal-topology";
    public const int Version = 1;

    public static NativeTopology? Bind(SourceFile file, Diagnostics diagnostics)
    {
        if (file.Root is not YamlMap map)
        {
            if (file.Root is not null)
                diagnostics.Add(file.Root.Origin.Error($"a vmetal topology file must be a mapping starting with '{Header}: {Version}', got {file.Root.Describe()}"));
            return null;
        }
        var errorsBefore = diagnostics.Errors.Count;
        var reader = new MapReader(map, "the topology file", diagnostics, [Header, "network", "nodes"]);
        if (map.Get(Header) is null)
            diagnostics.Add(map.Origin.Error($"not a vmetal topology file: the '{Header}: {Version}' header is missing"));
        else if (reader.Int(Header, Version, Version) is null)
            return null;
        var layout = reader.Value("network") switch
        {
            null => null,
            YamlScalar scalar => new LayoutChoice(RelativeTo(file, scalar.Text), null, scalar.Origin),
            YamlMap inline => new LayoutChoice(null, inline, inline.Origin),
            var other => Invalid(other, "network must be a layout name or an inline layout (networks:, nodes:)", diagnostics),
        };
        var groups = new List<NodeGroup>();
        var list = reader.List("nodes");
        if (list is null)
            diagnostics.Add(reader.OriginOf("nodes").Error("the topology file has no 'nodes' list"));
        foreach (var item in list?.Items ?? [])
        {
            if (BindGroup(item, diagnostics) is { } group)
                groups.Add(group with { Reference = group.Reference is null ? null : RelativeTo(file, group.Reference) });
        }
        return diagnostics.Errors.Count > errorsBefore ? null : new NativeTopology(layout, groups);
    }

    private static NodeGroup? BindGroup(YamlValue item, Diagnostics diagnostics)
    {
        if (item is not YamlMap map)
        {
            diagnostics.Add(item.Origin.Error($"each entry of nodes must be a mapping such as {{type: compute, count: 2}}, got {item.Describe()}"));
            return null;
        }
        var reader = new MapReader(map, "a node group", diagnostics, ["type", "count", "override", "definition"]);
        var type = reader.String("type");
        var definition = reader.Mapping("definition");
        var overrides = reader.Mapping("override");
        var count = reader.Int("count", 0, NodeCounts.MaxCount, required: true);
        if ((type is null) == (definition is null))
        {
            diagnostics.Add(map.Origin.Error("a node group needs exactly one of 'type' (a node definition name or path) and 'definition' (an inline one)"));
            return null;
        }
        return count is null ? null : new NodeGroup(type, count.Value, type is null ? map.Origin : reader.OriginOf("type"), definition, overrides);
    }

    /// <summary>Relative paths in a topology file are relative to that file, not to the working directory.</summary>
    private static string RelativeTo(SourceFile file, string reference)
        => TopologySources.LooksLikePath(reference) && !Path.IsPathRooted(reference)
            ? Path.Combine(Path.GetDirectoryName(file.DisplayPath) ?? "", reference)
            : reference;

    private static LayoutChoice? Invalid(YamlValue value, string message, Diagnostics diagnostics)
    {
        diagnostics.Add(value.Origin.Error(message));
        return null;
    }
}
