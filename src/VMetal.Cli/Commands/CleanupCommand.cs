using System.CommandLine;

namespace VMetal.Cli.Commands;

/// <summary><c>vmetal cleanup [--prefix P]</c>: remove every vmetal-owned object on the hypervisor.</summary>
public sealed class CleanupCommand : CommandBase
{
    private static readonly Option<string?> Prefix = new("--prefix")
    {
        Description = "Only the labs created with exactly this prefix (names are never matched as substrings)",
    };

    public CleanupCommand(CliServices services)
        : base("cleanup", "Remove every vmetal-owned object on the hypervisor, of every workspace (or of one prefix); never anything else", services)
    {
        Options.Add(Prefix);
        Options.Add(LabSession.NoWait);
    }

    static CleanupCommand() => Prefix.Validators.Add(result =>
    {
        // `--prefix "$PREFIX"` with the variable unset must not mean every lab of every workspace.
        if (result.GetValueOrDefault<string?>() is { } prefix && string.IsNullOrWhiteSpace(prefix))
            result.AddError("--prefix is empty: give the prefix of the labs to remove, or leave --prefix out to remove every vmetal lab on the host");
    });

    protected override async Task<int> ExecuteAsync(CommandContext context, CancellationToken cancellationToken)
    {
        var prefix = context.Get(Prefix);
        await using var lab = await LabSession.OpenAsync(context, cancellationToken);
        var result = await context.Output.StatusAsync($"removing vmetal's objects from {lab.Host.Target}",
            _ => lab.Engine.CleanupAsync(prefix, new ConsoleProgress(context.Output, showPlan: context.Output.Verbose), cancellationToken));
        var bmc = new Deployment.BmcDeployer(lab.Host);
        var bmcSteps = new List<Deployment.BmcStep>();
        foreach (var workspace in result.Workspaces)
            bmcSteps.AddRange(await bmc.RemoveAsync(workspace, cancellationToken));
        var cleared = ClearOutputs(context, result.Workspaces, lab.Host.Target.ToString(), prefix);
        foreach (var directory in cleared)
            context.Output.Detail($"removed the outputs in {directory}: its lab is gone");
        return TeardownOutput.Report(context, result, prefix is null ? "every vmetal lab" : $"the labs with prefix '{prefix}'", cleared, bmcSteps);
    }

    /// <summary>
    /// As `down` does for its workspace: the outputs of the removed labs on this machine would hand Ansible and Ironic
    /// nodes that no longer exist. Each removed workspace's directories (its default one, the --workspace-dirs `up` noted
    /// in the <see cref="Outputs.WorkspaceIndex"/>, and this run's --workspace-dir for its own workspace) are cleared when
    /// their state.json describes that workspace's lab on this hypervisor, with the --prefix given; outputs of a same-named
    /// workspace on another hypervisor are left alone.
    /// </summary>
    /// <returns>The directories cleared.</returns>
    internal static IReadOnlyList<string> ClearOutputs(CommandContext context, IReadOnlyList<string> workspaces, string hypervisor, string? prefix) =>
        ClearOutputs(workspaces, hypervisor, prefix, new Outputs.WorkspaceIndex(Outputs.WorkspaceIndex.DefaultPath),
            workspace => workspace == context.WorkspaceName ? [context.WorkspaceDirectory] : []);

    /// <param name="given">Directories named on this command line for a workspace.</param>
    internal static IReadOnlyList<string> ClearOutputs(IReadOnlyList<string> workspaces, string hypervisor, string? prefix,
        Outputs.WorkspaceIndex index, Func<string, IEnumerable<string>> given)
    {
        var cleared = new List<string>();
        foreach (var workspace in workspaces)
        {
            var candidates = given(workspace).Append(CommandContext.DefaultWorkspaceDirectory(workspace)).Concat(index.DirectoriesOf(workspace))
                .Distinct(StringComparer.Ordinal);
            foreach (var directory in candidates)
            {
                var files = new Outputs.WorkspaceFiles(directory);
                if (files.Hypervisor != hypervisor || files.Workspace != workspace || (prefix is not null && files.Prefix != prefix))
                    continue;
                files.DeleteGenerated();
                index.Remove(workspace, directory);
                cleared.Add(files.Directory);
            }
        }
        return cleared;
    }
}
