using System.CommandLine;

namespace VMetal.Cli.Commands;

/// <summary><c>vmetal remove-nodes compute-1,compute-2</c>: take nodes out of the workspace.</summary>
public sealed class RemoveNodesCommand : CommandBase
{
    private static readonly Argument<string> Nodes = new("nodes")
    {
        Description = "Comma-separated node names, e.g. compute-1,compute-2 (with the prefix if the lab has one)",
    };

    public RemoveNodesCommand(CliServices services)
        : base("remove-nodes", "Remove nodes (VM, disks, fixed leases) from the workspace; 'up' leaves them out until --restore-nodes", services)
    {
        Arguments.Add(Nodes);
        Options.Add(LabSession.NoWait);
        Options.Add(LabSession.LabPrefix);
    }

    protected override async Task<int> ExecuteAsync(CommandContext context, CancellationToken cancellationToken)
    {
        var names = (context.Get(Nodes) ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (names.Length == 0)
            throw new UsageException("remove-nodes: give at least one node name, e.g. compute-1,compute-2");
        await using var lab = await LabSession.OpenAsync(context, cancellationToken);
        var prefix = context.Get(LabSession.LabPrefix);
        // A wrong --prefix is refused before anything else is said (warnings about other workspaces' records included).
        await lab.Engine.CheckPrefixAsync(context.WorkspaceName, prefix, cancellationToken);
        var result = await lab.Engine.RemoveNodesAsync(context.WorkspaceName, prefix, names, new ConsoleProgress(context.Output, context.Output.Verbose), cancellationToken);
        // Ironic, Ansible and the BMC service must not be handed nodes that no longer exist.
        var removed = names.ToHashSet(StringComparer.Ordinal);
        var files = new Outputs.WorkspaceFiles(context.WorkspaceDirectory);
        foreach (var file in Outputs.OutputWriter.RemoveNodes(files, removed))
            context.Output.Detail($"rewrote {file}");
        var bmcSteps = await new Deployment.BmcDeployer(lab.Host).RemoveMachinesAsync(context.WorkspaceName, removed, cancellationToken);
        return TeardownOutput.Report(context, result, string.Join(", ", names), bmcSteps: bmcSteps);
    }
}
