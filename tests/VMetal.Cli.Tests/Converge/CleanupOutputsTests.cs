using System.Text.Json.Nodes;
using VMetal.Cli.Commands;
using VMetal.Outputs;
using VMetal.Testing;

namespace VMetal.Cli.Tests.Converge;

/// <summary>`cleanup` clears the outputs of the labs it removed in the --workspace-dirs `up` noted, as in the default directories.</summary>
public sealed class CleanupOutputsTests
{
    private const string Hypervisor = "stack@hv01:22";

    /// <summary>A workspace name no real default directory (~/.vmetal/workspaces/NAME) has.</summary>
    private static string UniqueWorkspace(string stem) => $"{stem}-{Guid.NewGuid():N}";

    private static WorkspaceFiles Outputs(string directory, string workspace, string hypervisor, string? prefix)
    {
        var files = new WorkspaceFiles(directory);
        files.EnsureDirectory();
        var state = new JsonObject { ["workspace"] = workspace, ["prefix"] = prefix, ["hypervisor"] = hypervisor };
        WorkspaceFiles.WriteAtomically(files.State, state.ToJsonString());
        foreach (var file in new[] { files.Inventory, files.Nodes, files.InstackEnv })
            WorkspaceFiles.WriteAtomically(file, "{}");
        return files;
    }

    [Fact]
    public void The_directories_up_noted_are_cleared_when_their_state_is_the_removed_labs_with_the_prefix_given()
    {
        using var temp = new TempDirectory();
        var index = new WorkspaceIndex(temp.File("index/workspace-dirs.json"));
        var (mine, other, elsewhere, stale) = (UniqueWorkspace("pol-a"), UniqueWorkspace("pol-b"), UniqueWorkspace("pol-c"), UniqueWorkspace("pol-d"));
        var cleared = Outputs(temp.File("a"), mine, Hypervisor, "pa");
        var otherPrefix = Outputs(temp.File("b"), other, Hypervisor, "pb");
        var otherHost = Outputs(temp.File("c"), elsewhere, "stack@hv02:22", "pa");
        // A directory noted for one workspace that now holds another's outputs.
        var reused = Outputs(temp.File("d"), UniqueWorkspace("pol-e"), Hypervisor, "pa");
        index.Add(mine, cleared.Directory);
        index.Add(other, otherPrefix.Directory);
        index.Add(elsewhere, otherHost.Directory);
        index.Add(stale, reused.Directory);

        var result = CleanupCommand.ClearOutputs([mine, other, elsewhere, stale], Hypervisor, "pa", index, _ => []);

        Assert.Equal([cleared.Directory], result);
        Assert.All(cleared.GeneratedFiles, file => Assert.False(File.Exists(file), file));
        Assert.Empty(index.DirectoriesOf(mine));
        foreach (var kept in new[] { otherPrefix, otherHost, reused })
            Assert.True(File.Exists(kept.State), kept.Directory);
        Assert.Equal([otherHost.Directory], index.DirectoriesOf(elsewhere));

        // Without --prefix every removed lab's outputs on this hypervisor go.
        Assert.Equal([otherPrefix.Directory], CleanupCommand.ClearOutputs([other], Hypervisor, null, index, _ => []));
    }

    [Fact]
    public void The_index_notes_each_directory_once_and_survives_a_damaged_file()
    {
        using var temp = new TempDirectory();
        var index = new WorkspaceIndex(temp.File("workspace-dirs.json"));

        index.Add("ws", "/labs/one");
        index.Add("ws", "/labs/two");
        index.Add("ws", "/labs/one");
        Assert.Equal(["/labs/one", "/labs/two"], new WorkspaceIndex(index.Path).DirectoriesOf("ws"));
        index.Remove("ws", "/labs/one");
        Assert.Equal(["/labs/two"], index.DirectoriesOf("ws"));

        File.WriteAllText(index.Path, "{ not json");
        Assert.Empty(index.DirectoriesOf("ws"));
        index.Add("ws", "/labs/three");
        Assert.Equal(["/labs/three"], index.DirectoriesOf("ws"));
    }
}
