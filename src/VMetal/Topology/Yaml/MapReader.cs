using System.Globalization;

namespace VMetal.Topology.Yaml;

/// <summary>
/// Typed, error-collecting access to one YAML mapping. Unknown keys are reported once, with the
/// list of keys the mapping may contain, so a typo such as <c>memroy</c> never goes unnoticed.
/// </summary>
internal sealed class MapReader
{
    private readonly Diagnostics _diagnostics;

    public MapReader(YamlMap map, string subject, Diagnostics diagnostics, IReadOnlyCollection<string> knownKeys)
    {
        Map = map;
        Subject = subject;
        _diagnostics = diagnostics;
        foreach (var entry in map.Entries.Where(entry => !knownKeys.Contains(entry.Key)))
        {
            diagnostics.Add(entry.KeyOrigin.Error(
                $"unknown field '{entry.Key}' in {subject}{Suggestions.DidYouMean(entry.Key, knownKeys)} " +
                $"(known fields: {string.Join(", ", knownKeys.Order(StringComparer.Ordinal))})"));
        }
    }

    public YamlMap Map { get; }

    /// <summary>What the mapping describes, e.g. "node type 'controller'"; used in messages.</summary>
    public string Subject { get; }

    public Diagnostics Diagnostics => _diagnostics;

    /// <summary>The value of a key, or null when the key is absent or explicitly null.</summary>
    public YamlValue? Value(string key) => Map.Get(key) is { } value && value is not YamlScalar { IsNull: true } ? value : null;

    public Origin OriginOf(string key) => Map.Get(key)?.Origin ?? Map.Origin;

    public string? String(string key, bool required = false) => Typed<YamlScalar>(key, required, "text")?.Text;

    public int? Int(string key, int min, int max, bool required = false)
    {
        var text = String(key, required);
        if (text is null)
            return null;
        if (int.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var number) && number >= min && number <= max)
            return number;
        _diagnostics.Add(OriginOf(key).Error($"{key} must be a whole number from {min} to {max}, got '{text}'"));
        return null;
    }

    /// <summary>YAML 1.1 / Ansible booleans (yes/no/true/false/on/off), quoted or not, as infrared's files use them.</summary>
    public bool? Bool(string key)
    {
        var text = String(key);
        if (text is null)
            return null;
        switch (text.Trim().ToLowerInvariant())
        {
            case "yes" or "true" or "on" or "y" or "1":
                return true;
            case "no" or "false" or "off" or "n" or "0":
                return false;
            default:
                _diagnostics.Add(OriginOf(key).Error($"{key} must be yes/no or true/false, got '{text}'"));
                return null;
        }
    }

    public YamlMap? Mapping(string key, bool required = false) => Typed<YamlMap>(key, required, "a mapping");

    public YamlList? List(string key) => Typed<YamlList>(key, required: false, "a list");

    public MapReader? Nested(string key, string subject, IReadOnlyCollection<string> knownKeys, bool required = false)
        => Mapping(key, required) is { } map ? new MapReader(map, subject, _diagnostics, knownKeys) : null;

    private T? Typed<T>(string key, bool required, string expected)
        where T : YamlValue
    {
        switch (Value(key))
        {
            case null:
                if (required)
                    Missing(key);
                return null;
            case T typed:
                return typed;
            case var other:
                _diagnostics.Add(other.Origin.Error($"{key} must be {expected}, got {other.Describe()}"));
                return null;
        }
    }

    private void Missing(string key) => _diagnostics.Add(Map.Origin.Error($"{Subject} has no '{key}'"));
}
