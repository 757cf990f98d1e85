namespace VMetal.Outputs;

/// <summary>The workspace directory on the operator's machine and its files.</summary>
public sealed class WorkspaceFiles(string directory)
{
    public string Directory { get; } = directory;

    public string Inventory => Path.Combine(Directory, "hosts");
    public string SshConfig => Path.Combine(Directory, "ssh.config");
    public string Nodes => Path.Combine(Directory, "nodes.json");
    public string InstackEnv => Path.Combine(Directory, "instackenv.json");
    public string State => Path.Combine(Directory, "state.json");
    public string PrivateKey => Path.Combine(Directory, "id_rsa");

    /// <summary>Everything `up` generates (keys are not: they outlive a lab).</summary>
    public IEnumerable<string> GeneratedFiles => [Inventory, SshConfig, Nodes, InstackEnv, State];

    public void EnsureDirectory()
    {
        if (OperatingSystem.IsWindows())
            System.IO.Directory.CreateDirectory(Directory);
        else
            System.IO.Directory.CreateDirectory(Directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    /// <summary>Replaces a file atomically (write a temporary file, then rename), private to the user.</summary>
    public static void WriteAtomically(string path, string content)
    {
        var temporary = $"{path}.{Environment.ProcessId}.tmp";
        File.WriteAllText(temporary, content);
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(temporary, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>
    /// The hypervisor the outputs describe a lab on (<c>state.json</c>'s <c>hypervisor</c>, as <c>user@address[:port]</c>);
    /// null when there is no readable state.json.
    /// </summary>
    public string? Hypervisor => StateField("hypervisor");

    /// <summary>The workspace the outputs are of (<c>state.json</c>'s <c>workspace</c>); null when there is no readable state.json.</summary>
    public string? Workspace => StateField("workspace");

    /// <summary>The lab's prefix (<c>state.json</c>'s <c>prefix</c>); null without a prefix or a readable state.json.</summary>
    public string? Prefix => StateField("prefix");

    private string? StateField(string key)
    {
        try
        {
            return System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(State))?[key]?.GetValue<string>();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Text.Json.JsonException or InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>Deletes the generated files; a directory that was never written (a failed first up, a new CI runner) is fine.</summary>
    public void DeleteGenerated()
    {
        foreach (var file in GeneratedFiles.Where(File.Exists))
            File.Delete(file);
    }
}
