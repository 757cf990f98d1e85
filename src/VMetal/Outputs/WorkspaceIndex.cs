using System.Text.Json;

namespace VMetal.Outputs;

/// <summary>
/// The workspace directories given with --workspace-dir that `up` wrote outputs to on this machine
/// (<c>~/.vmetal/workspace-dirs.json</c>), so that `cleanup` finds them as it finds the default ones. An entry is only a
/// place to look: cleanup clears a directory only when its state.json describes that workspace's lab on that hypervisor.
/// </summary>
public sealed class WorkspaceIndex(string path)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    /// <summary><c>~/.vmetal/workspace-dirs.json</c>.</summary>
    public static string DefaultPath =>
        System.IO.Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".vmetal", "workspace-dirs.json");

    public string Path { get; } = path;

    public IReadOnlyList<string> DirectoriesOf(string workspace) =>
        Load().Workspaces.TryGetValue(workspace, out var directories) ? [.. directories] : [];

    /// <summary>Notes that <paramref name="workspace"/>'s outputs are in <paramref name="directory"/> (absolute); writes nothing when known.</summary>
    public void Add(string workspace, string directory)
    {
        var document = Load();
        if (!document.Workspaces.TryGetValue(workspace, out var directories))
            document.Workspaces[workspace] = directories = new SortedSet<string>(StringComparer.Ordinal);
        if (directories.Add(directory))
            Save(document);
    }

    public void Remove(string workspace, string directory)
    {
        var document = Load();
        if (!document.Workspaces.TryGetValue(workspace, out var directories) || !directories.Remove(directory))
            return;
        if (directories.Count == 0)
            document.Workspaces.Remove(workspace);
        Save(document);
    }

    /// <summary>A missing or unreadable index is an empty one: it only helps find outputs, it proves nothing.</summary>
    private Document Load()
    {
        try
        {
            return JsonSerializer.Deserialize<Document>(File.ReadAllText(Path), Json) ?? new Document();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException)
        {
            return new Document();
        }
    }

    private void Save(Document document)
    {
        if (System.IO.Path.GetDirectoryName(Path) is { Length: > 0 } directory)
            Directory.CreateDirectory(directory);
        WorkspaceFiles.WriteAtomically(Path, JsonSerializer.Serialize(document, Json) + "\n");
    }

    private sealed class Document
    {
        public SortedDictionary<string, SortedSet<string>> Workspaces { get; init; } = new(StringComparer.Ordinal);
    }
}
