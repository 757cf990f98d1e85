using VMetal.Topology.Yaml;

namespace VMetal.Topology;

/// <summary>
/// An infrared-style <c>-e override.&lt;node file&gt;.&lt;field.path&gt;=value</c> or
/// <c>-e override.networks.&lt;netN&gt;.&lt;field&gt;=value</c>. The value is read as YAML, so
/// <c>override.controller.groups=[a,b]</c> sets a list. <c>-e @FILE</c> reads a YAML file of extra vars
/// (infrared's and Ansible's idiom): its <c>override:</c> mapping gives one override per field.
/// </summary>
internal sealed record Override(string Argument, string Target, IReadOnlyList<string> Path, YamlValue Value)
{
    public const string Prefix = "override.";
    public const string NetworksTarget = "networks";

    /// <summary>Where errors point: the field in an extra-vars file, else the argument.</summary>
    public Origin Origin { get; init; } = Origin.FromArgument(Argument);

    /// <summary>Where errors about the node file or 'networks' point: its key in an extra-vars file, else the argument.</summary>
    public Origin TargetOrigin { get; init; } = Origin.FromArgument(Argument);

    public string Describe(int segments) => string.Join('.', Path.Take(segments));

    /// <summary>Parses the extra vars; non-override variables are ignored with a warning (they belong to other tools).</summary>
    public static List<Override> Parse(IEnumerable<string> extraVars, Diagnostics diagnostics)
    {
        var overrides = new List<Override>();
        foreach (var extraVar in extraVars)
        {
            var argument = $"-e {extraVar}";
            if (extraVar.StartsWith('@'))
            {
                overrides.AddRange(ParseFile(extraVar[1..], argument, diagnostics));
                continue;
            }
            var equals = extraVar.IndexOf('=', StringComparison.Ordinal);
            if (equals < 0)
            {
                diagnostics.Error($"{argument}: expected key=value, e.g. override.controller.memory=16384");
                continue;
            }
            var key = extraVar[..equals].Trim();
            if (!key.StartsWith(Prefix, StringComparison.Ordinal))
            {
                diagnostics.Warn($"{argument}: ignored; vmetal only reads override.* extra vars");
                continue;
            }
            var segments = key[Prefix.Length..].Split('.');
            if (segments.Length < 2 || segments.Any(segment => segment.Trim().Length == 0))
            {
                diagnostics.Error($"{argument}: expected override.<node file>.<field>=value or override.networks.<netN>.<field>=value");
                continue;
            }
            var value = YamlTreeReader.ReadArgumentValue(extraVar[(equals + 1)..], argument, diagnostics);
            if (value is not null)
                overrides.Add(new Override(argument, segments[0], segments[1..], value));
        }
        return overrides;
    }

    /// <summary>An extra-vars file: <c>override: {controller: {memory: 16384}, networks: {net1: {...}}}</c>.</summary>
    private static IEnumerable<Override> ParseFile(string path, string argument, Diagnostics diagnostics)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
        {
            diagnostics.Error($"{argument}: cannot read {path}: {ex.Message}");
            yield break;
        }
        switch (YamlTreeReader.Read(text, path, diagnostics))
        {
            case null or YamlScalar { IsNull: true }:
                yield break;
            case YamlMap root:
                foreach (var entry in root.Entries.Where(entry => entry.Key != "override"))
                    diagnostics.Warn($"{entry.KeyOrigin.Describe()}: '{entry.Key}' ignored; vmetal only reads override.* extra vars");
                switch (root.Get("override"))
                {
                    case null:
                        yield break;
                    case YamlMap targets:
                        foreach (var target in targets.Entries)
                        {
                            if (target.Value is not YamlMap fields)
                            {
                                diagnostics.Add(target.Value.Origin.Error(
                                    $"override.{target.Key} is {target.Value.Describe()}: expected a mapping of the fields to override"));
                                continue;
                            }
                            foreach (var field in fields.Entries)
                                yield return new Override(argument, target.Key, [field.Key], field.Value) { Origin = field.KeyOrigin, TargetOrigin = target.KeyOrigin };
                        }
                        break;
                    case var other:
                        diagnostics.Add(other.Origin.Error($"'override' is {other.Describe()}: expected a mapping of node files and 'networks'"));
                        break;
                }
                break;
            case var other:
                diagnostics.Add(other.Origin.Error($"an extra-vars file must be a mapping, not {other.Describe()}"));
                break;
        }
    }

    /// <summary>
    /// Merges the value into <paramref name="root"/> at <see cref="Path"/>, creating missing mappings
    /// on the way, as infrared's recursive combine does. Mapping values merge key by key.
    /// </summary>
    public void ApplyTo(YamlMap root, Diagnostics diagnostics)
    {
        var current = root;
        for (var depth = 0; depth < Path.Count - 1; depth++)
        {
            switch (current.Get(Path[depth]))
            {
                case YamlMap map:
                    current = map;
                    break;
                case null or YamlScalar { IsNull: true }:
                    var created = new YamlMap(Origin);
                    current.Set(Path[depth], Origin, created);
                    current = created;
                    break;
                case var other:
                    diagnostics.Add(Origin.Error(
                        $"'{Describe(depth + 1)}' is {other.Describe()}, not a mapping, so it has no field '{Path[depth + 1]}'"));
                    return;
            }
        }
        current.Merge(Path[^1], Origin, Value);
    }
}
