using VMetal.Catalog;
using VMetal.Topology.Yaml;

namespace VMetal.Topology;

/// <summary>A node definition or layout file found and parsed; <see cref="Root"/> is null when it is not valid YAML.</summary>
internal sealed record SourceFile(string Name, string DisplayPath, YamlValue? Root);

/// <summary>
/// Finds node definitions and layouts by name: an explicit file path; else
/// <c>&lt;--topology-dir&gt;/nodes/&lt;name&gt;.yml</c> (or <c>network/</c>); else the built-in catalogue.
/// This mirrors infrared's lookup (user <c>vars/topology</c> before the plugin's <c>defaults/topology</c>).
/// </summary>
internal sealed class TopologySources(string? userDirectory)
{
    private static readonly string[] Extensions = [".yml", ".yaml"];

    public string? UserDirectory { get; } = userDirectory;

    public Task<SourceFile?> NodeTypeAsync(string reference, Origin origin, Diagnostics diagnostics, CancellationToken cancellationToken)
        => FindAsync(BuiltInCatalog.NodesFolder, UnsupportedCatalog.NodeType, reference, origin, diagnostics, cancellationToken);

    public Task<SourceFile?> LayoutAsync(string reference, Origin origin, Diagnostics diagnostics, CancellationToken cancellationToken)
        => FindAsync(BuiltInCatalog.NetworkFolder, UnsupportedCatalog.Layout, reference, origin, diagnostics, cancellationToken);

    /// <summary>Every name available in a folder: the user directory's and the catalogue's, sorted, without duplicates.</summary>
    public IReadOnlyList<string> Names(string folder) => UserNames(folder)
        .Concat(BuiltInCatalog.Names(folder))
        .Distinct(StringComparer.Ordinal)
        .Order(StringComparer.Ordinal)
        .ToList();

    /// <summary>Names defined in the user directory (which shadow built-in ones of the same name).</summary>
    public IEnumerable<string> UserNames(string folder)
    {
        var directory = UserDirectory is null ? null : Path.Combine(UserDirectory, folder);
        if (directory is null || !Directory.Exists(directory))
            return [];
        return Extensions
            .SelectMany(extension => Directory.EnumerateFiles(directory, "*" + extension))
            .Select(Path.GetFileNameWithoutExtension)
            .OfType<string>();
    }

    public static bool LooksLikePath(string reference)
        => reference.Contains('/', StringComparison.Ordinal)
            || Extensions.Any(extension => reference.EndsWith(extension, StringComparison.OrdinalIgnoreCase));

    public static async Task<SourceFile?> ReadFileAsync(string path, Origin origin, Diagnostics diagnostics, CancellationToken cancellationToken)
    {
        string text;
        try
        {
            text = await File.ReadAllTextAsync(path, cancellationToken);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            diagnostics.Add(origin.Error($"cannot read '{path}': {exception.Message}"));
            return null;
        }
        return new SourceFile(BaseName(path), path, YamlTreeReader.Read(text, path, diagnostics));
    }

    private async Task<SourceFile?> FindAsync(
        string folder, string kind, string reference, Origin origin, Diagnostics diagnostics, CancellationToken cancellationToken)
    {
        if (LooksLikePath(reference))
        {
            if (File.Exists(reference))
                return await ReadFileAsync(reference, origin, diagnostics, cancellationToken);
            diagnostics.Add(origin.Error($"{kind} file '{reference}' does not exist"));
            return null;
        }
        if (UserDirectory is not null)
        {
            foreach (var extension in Extensions)
            {
                var path = Path.Combine(UserDirectory, folder, reference + extension);
                if (File.Exists(path))
                    return await ReadFileAsync(path, origin, diagnostics, cancellationToken);
            }
        }
        if (await BuiltInCatalog.ReadAsync(folder, reference, cancellationToken) is { } text)
        {
            var displayPath = BuiltInCatalog.DisplayPath(folder, reference);
            return new SourceFile(reference, displayPath, YamlTreeReader.Read(text, displayPath, diagnostics));
        }
        // infrared names vmetal deliberately does not ship get their own reason instead of "unknown".
        if (UnsupportedCatalog.Find(kind, reference) is { } unsupported)
        {
            diagnostics.Add(origin.Error(unsupported.Message));
            return null;
        }
        var searched = UserDirectory is null
            ? "the built-in catalogue"
            : $"{Path.Combine(UserDirectory, folder)} and the built-in catalogue";
        var available = Names(folder);
        diagnostics.Add(origin.Error(
            $"unknown {kind} '{reference}'{Suggestions.DidYouMean(reference, available)}; searched {searched}; available: {string.Join(", ", available)}"));
        return null;
    }

    private static string BaseName(string path)
    {
        var name = Path.GetFileName(path);
        var extension = Extensions.FirstOrDefault(candidate => name.EndsWith(candidate, StringComparison.OrdinalIgnoreCase));
        return extension is null ? name : name[..^extension.Length];
    }
}
