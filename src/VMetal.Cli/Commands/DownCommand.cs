using VMetal.Cli.Output;
using VMetal.Outputs;

namespace VMetal.Cli.Commands;

/// <summary><c>vmetal down</c>: remove everything the workspace owns on the hypervisor, and nothing else.</summary>
public sealed class DownCommand : CommandBase
{
    public DownCommand(CliServices services)
        : base("down", "Remove everything this workspace owns on the hypervisor (VMs with NVRAM, disks, networks, leases, its record)", services)
    {
        Options.Add(LabSession.NoWait);
        Options.Add(LabSession.LabPrefix);
    }

    protected override async Task<int> ExecuteAsync(CommandContext context, CancellationToken cancellationToken)
    {
        await using var lab = await LabSession.OpenAsync(context, cancellationToken);
        var prefix = context.Get(LabSession.LabPrefix);
        // A wrong --prefix is refused before "removing …" is said.
        await lab.Engine.CheckPrefixAsync(context.WorkspaceName, prefix, cancellationToken);
        var result = await context.Output.StatusAsync($"removing workspace '{context.WorkspaceName}' from {lab.Host.Target}",
            _ => lab.Engine.DownAsync(context.WorkspaceName, prefix, new ConsoleProgress(context.Output, showPlan: context.Output.Verbose), cancellationToken));
        var bmcSteps = await new Deployment.BmcDeployer(lab.Host).RemoveAsync(context.WorkspaceName, cancellationToken);
        new WorkspaceFiles(context.WorkspaceDirectory).DeleteGenerated();
        new WorkspaceIndex(WorkspaceIndex.DefaultPath).Remove(context.WorkspaceName, context.WorkspaceDirectory);
        return TeardownOutput.Report(context, result, $"workspace '{context.WorkspaceName}'", bmcSteps: bmcSteps);
    }
}
