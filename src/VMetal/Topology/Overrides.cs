using VMetal.Topology.Yaml;

namespace VMetal.Topology;

/// <summary>
/// An infrared-style <c>-e override.&lt;node file&gt;.&lt;field.path&gt;=value</c> or
/// <c>-e override.networks.&lt;netN&gt;.&lt;field&gt;=value</c>. The value is read as YAML, so
/// <c>override.controller.groups=[a,b]</c> sets a list.
/// </summary>
internal sealed record Override(string Argument, string Target, IReadOnlyList<string> Path, YamlValue Value)
{
    public const string Prefix = "override.";
    public const string NetworksTarget = "networks";

    public Origin Origin => Origin.FromArgument(Argument);

    public string Describe(int segments) => string.Join('.', Path.Take(segments));

    /// <summary>Parses the extra vars; non-override variables are ignored with a warning (they belong to other tools).</summary>
    public static List<Override> Parse(IEnumerable<string> extraVars, Diagnostics diagnostics)
    {
        var overrides = new List<Override>();
        foreach (var extraVar in extraVars)
        {
            var argument = $"-e {extraVar}";
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
