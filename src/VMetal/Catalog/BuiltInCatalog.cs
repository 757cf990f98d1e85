using System.Reflection;

namespace VMetal.Catalog;

/// <summary>
/// vmetal's own node types and network layouts, embedded in the assembly from Catalog/nodes and
/// Catalog/network. Same file format as infrared's, written for vmetal.
/// </summary>
public static class BuiltInCatalog
{
    public const string NodesFolder = "nodes";
    public const string NetworkFolder = "network";

    /// <summary>Prefix of the display path of built-in files, so errors in them still have a location.</summary>
    public const string Scheme = "builtin:";

    private const string ResourcePrefix = "catalog/";

    private static readonly Assembly Assembly = typeof(BuiltInCatalog).Assembly;

    /// <summary>Names (file base names) in a folder, sorted.</summary>
    public static IReadOnlyList<string> Names(string folder) => Assembly.GetManifestResourceNames()
        .Where(resource => resource.StartsWith($"{ResourcePrefix}{folder}/", StringComparison.Ordinal) && resource.EndsWith(".yml", StringComparison.Ordinal))
        .Select(resource => resource[(ResourcePrefix.Length + folder.Length + 1)..^".yml".Length])
        .Order(StringComparer.Ordinal)
        .ToList();

    public static string DisplayPath(string folder, string name) => $"{Scheme}{folder}/{name}.yml";

    /// <summary>The text of a built-in file, or null when there is none by that name.</summary>
    public static async Task<string?> ReadAsync(string folder, string name, CancellationToken cancellationToken)
    {
        await using var stream = Assembly.GetManifestResourceStream($"{ResourcePrefix}{folder}/{name}.yml");
        if (stream is null)
            return null;
        using var reader = new StreamReader(stream);
        return await reader.ReadToEndAsync(cancellationToken);
    }
}
