namespace VMetal.Topology.Yaml;

/// <summary>
/// Where a YAML value came from: a position in a file, or a command-line argument
/// (an <c>-e override...</c> value has no file position, so errors name the argument).
/// </summary>
internal readonly record struct Origin(string? File, int Line, int Column, string? Argument)
{
    public static Origin InFile(string file, int line, int column) => new(file, line, column, null);

    public static Origin FromArgument(string argument) => new(null, 0, 0, argument);

    /// <summary>"file:line:column", or the argument; for pointing at a second place in a message.</summary>
    public string Describe() => Argument ?? $"{File}:{Line}:{Column}";

    public TopologyError Error(string message) => Argument is not null
        ? TopologyError.General($"{Argument}: {message}")
        : new TopologyError(File, Line, Column, message);
}

/// <summary>
/// A small YAML tree that keeps the origin of every value. YamlDotNet's own representation
/// model is not used because overrides must graft values that carry a command-line origin.
/// </summary>
internal abstract class YamlValue(Origin origin)
{
    public Origin Origin { get; } = origin;

    /// <summary>What the value is, for messages such as "expected a mapping, got a list".</summary>
    public abstract string Describe();
}

internal sealed class YamlScalar(Origin origin, string text, bool isPlain) : YamlValue(origin)
{
    public string Text { get; } = text;

    /// <summary>Unquoted; only plain scalars can mean null or a YAML 1.1 boolean.</summary>
    public bool IsPlain { get; } = isPlain;

    public bool IsNull => IsPlain && Text is "" or "~" or "null" or "Null" or "NULL";

    public override string Describe() => IsNull ? "null" : $"'{Text}'";
}

internal sealed class YamlList(Origin origin, IReadOnlyList<YamlValue> items) : YamlValue(origin)
{
    public IReadOnlyList<YamlValue> Items { get; } = items;

    public override string Describe() => "a list";
}

internal sealed class YamlMap(Origin origin) : YamlValue(origin)
{
    private readonly List<YamlEntry> _entries = [];

    public IReadOnlyList<YamlEntry> Entries => _entries;

    public override string Describe() => "a mapping";

    public YamlEntry? Find(string key) => _entries.Find(entry => entry.Key == key);

    public YamlValue? Get(string key) => Find(key)?.Value;

    /// <summary>Adds a key, or replaces the value of an existing key in place (keeps key order).</summary>
    public void Set(string key, Origin keyOrigin, YamlValue value)
    {
        var index = _entries.FindIndex(entry => entry.Key == key);
        if (index >= 0)
            _entries[index] = _entries[index] with { Value = value };
        else
            _entries.Add(new YamlEntry(key, keyOrigin, value));
    }

    /// <summary>
    /// Sets a key the way infrared's recursive combine does: mappings merge key by key,
    /// anything else replaces the old value.
    /// </summary>
    public void Merge(string key, Origin keyOrigin, YamlValue value)
    {
        if (value is YamlMap incoming && Get(key) is YamlMap existing)
        {
            foreach (var entry in incoming.Entries)
                existing.Merge(entry.Key, entry.KeyOrigin, entry.Value);
            return;
        }
        Set(key, keyOrigin, value);
    }

    /// <summary>A deep copy, so one parsed file can be overridden differently per use.</summary>
    public YamlMap Clone()
    {
        var copy = new YamlMap(Origin);
        foreach (var entry in _entries)
            copy._entries.Add(entry with { Value = CloneValue(entry.Value) });
        return copy;
    }

    private static YamlValue CloneValue(YamlValue value) => value switch
    {
        YamlMap map => map.Clone(),
        YamlList list => new YamlList(list.Origin, list.Items.Select(CloneValue).ToList()),
        _ => value,
    };
}

internal sealed record YamlEntry(string Key, Origin KeyOrigin, YamlValue Value);
