using System.Globalization;
using System.Text.Json.Serialization;
using System.Xml.Linq;

namespace VMetal.Converge;

/// <summary>One difference between what an object is defined with on the host and what the topology asks for.</summary>
/// <param name="Field">What differs, e.g. <c>memory</c>, <c>nic 3</c>, <c>disk vda bus</c>.</param>
/// <param name="From">The value on the host; null when the topology adds it.</param>
/// <param name="To">The value asked for; null when the topology drops it.</param>
/// <param name="Whole">A whole device (a NIC, a disk) added or removed: its fields are in From or To, its name is enough in text.</param>
public sealed record FieldChange(
    [property: JsonPropertyName("field")] string Field,
    [property: JsonPropertyName("from")] string? From,
    [property: JsonPropertyName("to")] string? To,
    [property: JsonIgnore] bool Whole = false)
{
    public override string ToString() => (From, To) switch
    {
        (null, _) => Whole || To!.Length > 20 ? $"{Field} added" : $"{Field} {To} added",
        (_, null) => Whole || From.Length > 20 ? $"{Field} removed" : $"{Field} {From} removed",
        _ => $"{Field} {From} → {To}",
    };
}

/// <summary>
/// The fields of a libvirt definition that vmetal sets and a human would recognise (memory, vCPUs, NICs, disks…),
/// read the same way from the XML vmetal renders and from the XML libvirt returns (which adds defaults and
/// addresses, and normalises units), so that "definition changed" can say what changed. Keys are
/// <c>field</c> or <c>group/field</c>; a group (one NIC, one disk) present on one side only is reported as added or removed whole.
/// </summary>
public static class DefinitionFields
{
    public static IReadOnlyDictionary<string, string> OfDomain(XElement? domain)
    {
        var fields = new OrderedDictionary<string, string>(StringComparer.Ordinal);
        if (domain is null)
            return fields;
        Put(fields, "type", (string?)domain.Attribute("type"));
        Put(fields, "memory", MiB(domain.Element("memory")));
        Put(fields, "vcpu", domain.Element("vcpu")?.Value.Trim());
        var cpu = domain.Element("cpu");
        Put(fields, "cpu", cpu is null ? null : string.Join(' ', new[] { (string?)cpu.Attribute("mode"), cpu.Element("model")?.Value.Trim() }.OfType<string>()));
        var os = domain.Element("os");
        Put(fields, "firmware", os?.Element("loader") is not null || (string?)os?.Attribute("firmware") == "efi" ? "uefi" : "bios");
        var devices = domain.Element("devices");
        var nic = 0;
        foreach (var element in devices?.Elements("interface") ?? [])
        {
            var group = $"nic {++nic}";
            var source = element.Element("source");
            Put(fields, $"{group}/network", (string?)source?.Attribute("network") ?? (string?)source?.Attribute("bridge"));
            Put(fields, $"{group}/mac", (string?)element.Element("mac")?.Attribute("address"));
            Put(fields, $"{group}/model", (string?)element.Element("model")?.Attribute("type"));
            Put(fields, $"{group}/boot order", (string?)element.Element("boot")?.Attribute("order"));
        }
        foreach (var element in devices?.Elements("disk") ?? [])
        {
            var target = element.Element("target");
            var group = $"{(string?)element.Attribute("device") ?? "disk"} {(string?)target?.Attribute("dev")}";
            var source = element.Element("source");
            Put(fields, $"{group}/bus", (string?)target?.Attribute("bus"));
            Put(fields, $"{group}/source", (string?)source?.Attribute("file") ?? (string?)source?.Attribute("volume"));
            Put(fields, $"{group}/format", (string?)element.Element("driver")?.Attribute("type"));
            Put(fields, $"{group}/boot order", (string?)element.Element("boot")?.Attribute("order"));
        }
        Put(fields, "serial log", (string?)devices?.Element("serial")?.Element("log")?.Attribute("file"));
        var graphics = devices?.Element("graphics");
        Put(fields, "vnc listen", (string?)graphics?.Attribute("listen") ?? (string?)graphics?.Element("listen")?.Attribute("address"));
        return fields;
    }

    /// <summary>Fixed DHCP hosts are left out: they are applied live and planned on their own.</summary>
    public static IReadOnlyDictionary<string, string> OfNetwork(XElement? network)
    {
        var fields = new OrderedDictionary<string, string>(StringComparer.Ordinal);
        if (network is null)
            return fields;
        Put(fields, "forward", (string?)network.Element("forward")?.Attribute("mode") ?? "isolated");
        Put(fields, "bridge", (string?)network.Element("bridge")?.Attribute("name"));
        Put(fields, "mtu", (string?)network.Element("mtu")?.Attribute("size"));
        Put(fields, "domain", (string?)network.Element("domain")?.Attribute("name"));
        foreach (var ip in network.Elements("ip"))
        {
            var family = (string?)ip.Attribute("family") == "ipv6" || ((string?)ip.Attribute("address"))?.Contains(':', StringComparison.Ordinal) == true ? "ipv6" : "ipv4";
            Put(fields, family, $"{(string?)ip.Attribute("address")}/{PrefixOf(ip)}");
            var ranges = ip.Element("dhcp")?.Elements("range").Select(r => $"{(string?)r.Attribute("start")}-{(string?)r.Attribute("end")}").ToList();
            Put(fields, $"{family} dhcp range", ranges is { Count: > 0 } ? string.Join(", ", ranges) : null);
        }
        return fields;
    }

    /// <summary>Capacity is left out: a bigger disk is grown in place, and planned as such.</summary>
    public static IReadOnlyDictionary<string, string> OfVolume(XElement? volume)
    {
        var fields = new OrderedDictionary<string, string>(StringComparer.Ordinal);
        if (volume is null)
            return fields;
        Put(fields, "format", (string?)volume.Element("target")?.Element("format")?.Attribute("type"));
        Put(fields, "backing image", volume.Element("backingStore")?.Element("path")?.Value.Trim());
        return fields;
    }

    /// <summary>What differs, in the order the fields are read; a group on one side only is one change.</summary>
    public static IReadOnlyList<FieldChange> Diff(IReadOnlyDictionary<string, string>? actual, IReadOnlyDictionary<string, string> desired)
    {
        if (actual is null)
            return [];
        static string? GroupOf(string key) => key.IndexOf('/', StringComparison.Ordinal) is var slash and > 0 ? key[..slash] : null;
        var actualGroups = actual.Keys.Select(GroupOf).OfType<string>().ToHashSet(StringComparer.Ordinal);
        var desiredGroups = desired.Keys.Select(GroupOf).OfType<string>().ToHashSet(StringComparer.Ordinal);
        var changes = new List<FieldChange>();
        var reportedGroups = new HashSet<string>(StringComparer.Ordinal);
        // The topology's order (memory before NICs, NIC 1 before NIC 2), then what only the host has.
        foreach (var key in desired.Keys.Union(actual.Keys))
        {
            var group = GroupOf(key);
            if (group is not null && actualGroups.Contains(group) != desiredGroups.Contains(group))
            {
                if (reportedGroups.Add(group))
                    changes.Add(new FieldChange(group, actualGroups.Contains(group) ? Summary(actual, group) : null, desiredGroups.Contains(group) ? Summary(desired, group) : null, Whole: true));
                continue;
            }
            var from = actual.GetValueOrDefault(key);
            var to = desired.GetValueOrDefault(key);
            if (from != to)
                changes.Add(new FieldChange(key.Replace('/', ' '), from, to));
        }
        return changes;
    }

    /// <summary>"definition changed: memory 512 MiB → 1024 MiB, nic 3 added", or "definition changed" with a hint when no field vmetal reads differs.</summary>
    public static string Describe(IReadOnlyList<FieldChange> changes) =>
        changes.Count == 0 ? "definition changed (in settings not itemised here)" : "definition changed: " + string.Join(", ", changes);

    private static string Summary(IReadOnlyDictionary<string, string> fields, string group) =>
        string.Join(", ", fields.Where(f => f.Key.StartsWith(group + "/", StringComparison.Ordinal)).Select(f => $"{f.Key[(group.Length + 1)..]} {f.Value}"));

    private static void Put(OrderedDictionary<string, string> fields, string key, string? value)
    {
        if (!string.IsNullOrEmpty(value))
            fields[key] = value;
    }

    private static string? MiB(XElement? memory)
    {
        if (memory is null || !long.TryParse(memory.Value.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var amount))
            return null;
        var bytes = ((string?)memory.Attribute("unit") ?? "KiB") switch
        {
            "b" or "bytes" => amount,
            "KB" => amount * 1000,
            "k" or "KiB" => amount << 10,
            "MB" => amount * 1000 * 1000,
            "M" or "MiB" => amount << 20,
            "GB" => amount * 1000 * 1000 * 1000,
            "G" or "GiB" => amount << 30,
            _ => amount << 10,
        };
        return $"{bytes >> 20} MiB";
    }

    private static int PrefixOf(XElement ip)
    {
        if ((string?)ip.Attribute("prefix") is { } prefix && int.TryParse(prefix, NumberStyles.None, CultureInfo.InvariantCulture, out var length))
            return length;
        if (System.Net.IPAddress.TryParse((string?)ip.Attribute("netmask"), out var mask))
            return mask.GetAddressBytes().Sum(b => System.Numerics.BitOperations.PopCount(b));
        return ((string?)ip.Attribute("address"))?.Contains(':', StringComparison.Ordinal) == true ? 64 : 24;
    }
}
