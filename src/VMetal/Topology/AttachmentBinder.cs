using VMetal.Topology.Yaml;

namespace VMetal.Topology;

/// <summary>Reads interface lists and network references, which node files and layouts write the same way.</summary>
internal static class AttachmentBinder
{
    public static readonly string[] AttachmentKeys = ["interfaces", "external_network", "provision_network"];

    private static readonly string[] InterfaceKeys =
        ["network", "model", "bridged", "portgroup", "connect_to", "src_model", "hub", "needs_formatting"];

    /// <summary>infrared features that need host networking vmetal deliberately does not do.</summary>
    private static readonly Dictionary<string, string> UnsupportedInterfaceKeys = new()
    {
        ["portgroup"] = "Open vSwitch portgroups are not supported",
        ["connect_to"] = "virtual switch wiring (connect_to) is not supported",
        ["src_model"] = "virtual switch wiring (src_model) is not supported",
        ["hub"] = "virtual switch wiring (hub) is not supported",
        ["needs_formatting"] = "virtual switch wiring (needs_formatting) is not supported",
    };

    private static readonly string[] NicModels = ["virtio", "e1000", "e1000e", "rtl8139", "vmxnet3"];

    /// <summary>Reads <c>interfaces</c>, <c>external_network</c> and <c>provision_network</c> from a mapping.</summary>
    public static Attachment? Bind(MapReader reader)
    {
        if (reader.List("interfaces") is not { } list)
            return null;
        return new Attachment(
            list.Items.Select(item => BindInterface(item, reader.Subject, reader.Diagnostics)).OfType<InterfaceDefinition>().ToList(),
            BindReference(reader, "external_network"),
            BindReference(reader, "provision_network"));
    }

    /// <summary>Accepts both <c>external_network: {network: x}</c> (current files) and <c>external_network: x</c> (old files).</summary>
    public static NetworkReference? BindReference(MapReader reader, string key)
    {
        switch (reader.Value(key))
        {
            case null:
                return null;
            case YamlScalar scalar:
                return new NetworkReference(scalar.Text, scalar.Origin);
            case YamlMap map:
                var nested = new MapReader(map, $"{key} of {reader.Subject}", reader.Diagnostics, ["network", "bridged"]);
                return nested.String("network", required: true) is { } network
                    ? new NetworkReference(network, nested.OriginOf("network"))
                    : null;
            case var other:
                reader.Diagnostics.Add(other.Origin.Error($"{key} must name a network, got {other.Describe()}"));
                return null;
        }
    }

    private static InterfaceDefinition? BindInterface(YamlValue item, string subject, Diagnostics diagnostics)
    {
        if (item is not YamlMap map)
        {
            diagnostics.Add(item.Origin.Error($"each interface of {subject} must be a mapping such as {{network: management}}, got {item.Describe()}"));
            return null;
        }
        var reader = new MapReader(map, $"an interface of {subject}", diagnostics, InterfaceKeys);
        foreach (var (key, message) in UnsupportedInterfaceKeys)
        {
            if (reader.Value(key) is not null)
                diagnostics.Add(map.Find(key)!.KeyOrigin.Error($"{message} (vmetal never changes host networking)"));
        }
        var network = reader.String("network", required: true);
        var model = reader.String("model") ?? "virtio";
        if (!NicModels.Contains(model))
        {
            diagnostics.Add(reader.OriginOf("model").Error(
                $"unknown NIC model '{model}' (known: {string.Join(", ", NicModels)})"));
        }
        // 'bridged: yes' attaches to a host bridge by name; vmetal attaches through the libvirt
        // network of that name (a forward-mode bridge network), which reaches the same bridge.
        reader.Bool("bridged");
        return network is null ? null : new InterfaceDefinition(network, reader.OriginOf("network"), model);
    }
}
