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

    protected override async Task<int> ExecuteAsync(CommandContext context, CancellationToken cancellationToken)
    {
        var prefix = context.Get(Prefix);
        await using var lab = await LabSession.OpenAsync(context, cancellationToken);
        var result = await context.Output.StatusAsync($"removing vmetal's objects from {lab.Host.Target}",
            _ => lab.Engine.CleanupAsync(prefix, new ConsoleProgress(context.Output, showPlan: context.Output.Verbose), cancellationToken));
        var bmc = new Deployment.BmcDeployer(lab.Host);
        foreach (var workspace in result.Workspaces)
            await bmc.RemoveAsync(workspace, cancellationToken);
        return TeardownOutput.Report(context, result, prefix is null ? "every vmetal lab" : $"the labs with prefix '{prefix}'");
    }
}
