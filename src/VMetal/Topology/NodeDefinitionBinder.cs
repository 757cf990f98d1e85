using VMetal.Topology.Yaml;

namespace VMetal.Topology;

/// <summary>Turns a node definition file (infrared's format) into a <see cref="NodeDefinition"/>.</summary>
internal static class NodeDefinitionBinder
{
    // Fields infrared's node files carry. Some are read by infrared parts vmetal replaces differently
    // (swap, image.*, supports_libguestfs, flavor*), and are accepted and ignored.
    private static readonly string[] NodeKeys =
    [
        "name", "prefix", "cpu", "cpumodel", "memory", "swap", "deploy_os", "supports_libguestfs", "os",
        "machine_type", "import_url", "image", "disks", "interfaces", "external_network", "provision_network",
        "groups", "flavor", "flavor_id",
    ];

    private static readonly string[] DiskKeys =
        ["import_url", "path", "dev", "size", "cache", "preallocation", "bus", "force_image_download"];

    private static readonly string[] CacheModes = ["none", "writethrough", "writeback", "directsync", "unsafe", "default"];

    public static NodeDefinition? Bind(string type, YamlValue? root, Diagnostics diagnostics)
    {
        if (root is not YamlMap map)
        {
            if (root is not null)
                diagnostics.Add(root.Origin.Error($"node type '{type}' must be a mapping of fields (name, cpu, memory, disks, ...), got {root.Describe()}"));
            return null;
        }
        var errorsBefore = diagnostics.Errors.Count;
        var reader = new MapReader(map, $"node type '{type}'", diagnostics, NodeKeys);
        var name = reader.String("name", required: true);
        if (name is not null && !SafeNames.IsValidObjectName(name))
            diagnostics.Add(reader.OriginOf("name").Error(NameRule("name", name)));
        var vcpus = reader.Int("cpu", 1, 1024, required: true);
        var memory = Memory(reader);
        var deployOs = reader.Bool("deploy_os") ?? true;
        var cpuModel = reader.String("cpumodel") ?? "host-passthrough";
        if (!SafeNames.IsValidObjectName(cpuModel))
            diagnostics.Add(reader.OriginOf("cpumodel").Error($"cpumodel '{cpuModel}' is not a CPU model name"));
        var machineType = reader.String("machine_type");
        var osVariant = reader.Nested("os", $"os of node type '{type}'", ["type", "variant"])?.String("variant");
        reader.Nested("image", $"image of node type '{type}'", ["ssh_user", "ansible_connection"]);
        var importUrl = ImageUrl(reader);
        var disks = Disks(reader, type);
        var groups = Groups(reader);
        var attachment = AttachmentBinder.Bind(reader)
            ?? (reader.Value("external_network") is null && reader.Value("provision_network") is null
                ? null
                : new Attachment([], AttachmentBinder.BindReference(reader, "external_network"), AttachmentBinder.BindReference(reader, "provision_network")));

        if (deployOs && disks.Count == 0)
            diagnostics.Add(reader.OriginOf("disks").Error($"node type '{type}' deploys an OS (deploy_os is true) but has no disk to put it on"));
        if (diagnostics.Errors.Count > errorsBefore)
            return null;
        return new NodeDefinition(type, name!, vcpus!.Value, memory!.Value, deployOs, cpuModel, machineType, osVariant, disks, attachment, groups, importUrl);
    }

    public static string NameRule(string what, string value)
        => $"{what} '{value}' may only use letters, digits, '-', '_' and '.', and must start with a letter or digit";

    /// <summary>Memory is MiB like infrared's files ("32768"); a size with a unit ("32G") is accepted too.</summary>
    private static int? Memory(MapReader reader)
    {
        var text = reader.String("memory", required: true);
        if (text is null)
            return null;
        var bytes = Sizes.TryParse(text, Sizes.MiB);
        if (bytes is { } value && value % Sizes.MiB == 0 && value / Sizes.MiB <= int.MaxValue)
            return (int)(value / Sizes.MiB);
        reader.Diagnostics.Add(reader.OriginOf("memory").Error($"memory '{text}' is not a size in MiB; expected e.g. 8192 or 8G"));
        return null;
    }

    private static List<DiskDefinition> Disks(MapReader reader, string type)
    {
        var disks = new List<DiskDefinition>();
        if (reader.Mapping("disks") is not { } map)
            return disks;
        foreach (var entry in map.Entries)
        {
            if (!IsDiskKey(entry.Key))
            {
                reader.Diagnostics.Add(entry.KeyOrigin.Error($"disk '{entry.Key}' of node type '{type}' must be named disk1, disk2, ..."));
                continue;
            }
            if (entry.Value is not YamlMap diskMap)
            {
                reader.Diagnostics.Add(entry.Value.Origin.Error($"disk '{entry.Key}' of node type '{type}' must be a mapping (size, cache, ...), got {entry.Value.Describe()}"));
                continue;
            }
            var disk = new MapReader(diskMap, $"disk '{entry.Key}' of node type '{type}'", reader.Diagnostics, DiskKeys);
            var diskImage = ImageUrl(disk);
            var sizeText = disk.String("size", required: true);
            var size = sizeText is null ? null : Sizes.TryParse(sizeText, plainUnit: 1);
            if (sizeText is not null && size is null)
                reader.Diagnostics.Add(disk.OriginOf("size").Error($"disk size '{sizeText}' is malformed; expected {Sizes.Expected}"));
            var cache = disk.String("cache") ?? "unsafe";
            if (!CacheModes.Contains(cache))
                reader.Diagnostics.Add(disk.OriginOf("cache").Error($"unknown cache mode '{cache}' (known: {string.Join(", ", CacheModes)})"));
            var preallocation = Choice<DiskPreallocation>(disk, "preallocation") ?? DiskPreallocation.Metadata;
            var bus = Choice<DiskBus>(disk, "bus");
            if (size is not null)
                disks.Add(new DiskDefinition(entry.Key, size.Value, bus, cache, preallocation, diskImage));
        }
        return disks;
    }

    /// <summary>infrared's <c>import_url</c>: the base image of a node's OS disk, or of one disk.</summary>
    private static Uri? ImageUrl(MapReader reader)
    {
        if (reader.String("import_url") is not { } text)
            return null;
        if (BaseImages.TryParseUrl(text, out var url, out var problem))
            return url;
        reader.Diagnostics.Add(reader.OriginOf("import_url").Error($"import_url {problem}"));
        return null;
    }

    private static bool IsDiskKey(string key)
        => key.Length > 4 && key.StartsWith("disk", StringComparison.Ordinal) && key[4..].All(char.IsAsciiDigit);

    private static List<string> Groups(MapReader reader)
    {
        var groups = new List<string>();
        foreach (var item in reader.List("groups")?.Items ?? [])
        {
            if (item is YamlScalar { IsNull: false } scalar)
                groups.Add(scalar.Text);
            else
                reader.Diagnostics.Add(item.Origin.Error($"groups must be a list of names, got {item.Describe()}"));
        }
        return groups;
    }

    /// <summary>Reads an enum field by its lower-case name, listing the valid names on error.</summary>
    public static TEnum? Choice<TEnum>(MapReader reader, string key)
        where TEnum : struct, Enum
    {
        var text = reader.String(key);
        if (text is null)
            return null;
        // Matched by name: Enum.TryParse would also take numbers and comma lists.
        var name = Enum.GetNames<TEnum>().FirstOrDefault(candidate => candidate.Equals(text.Trim(), StringComparison.OrdinalIgnoreCase));
        if (name is not null)
            return Enum.Parse<TEnum>(name);
        reader.Diagnostics.Add(reader.OriginOf(key).Error(
            $"{key} '{text}' is not one of {string.Join(", ", Enum.GetNames<TEnum>().Select(name => name.ToLowerInvariant()))}"));
        return null;
    }
}
