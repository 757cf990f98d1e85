using VMetal.Cli.Output;

namespace VMetal.Cli.Commands;

/// <summary><c>vmetal plan</c>: what `up` would do, computed against the host; changes nothing.</summary>
public sealed class PlanCommand : CommandBase
{
    public PlanCommand(CliServices services)
        : base("plan", "Show what 'up' would create, update, replace or delete on the hypervisor, and why (changes nothing)", services)
    {
        ConvergeOptions.AddTo(this);
    }

    protected override async Task<int> ExecuteAsync(CommandContext context, CancellationToken cancellationToken)
    {
        var request = ConvergeOptions.Request(context, planOnly: true);
        var topology = await Converge.ConvergeEngine.LoadTopologyAsync(request.Topology, context.Output.Warning, cancellationToken);
        request = ConvergeOptions.WithSeedKeys(context, request, topology, createKey: false);
        await using var lab = await LabSession.OpenAsync(context, cancellationToken);
        var result = await lab.Engine.ConvergeAsync(request, new ConsoleProgress(context.Output, showPlan: false), cancellationToken);
        if (context.Output.Format == OutputFormat.Json)
            context.Output.WriteJson(LabSession.PlanJson(result.Plan));
        else
            LabSession.RenderPlan(context.Output, result.Plan, showUnchanged: context.Output.Verbose);
        return ExitCodes.Success;
    }
}
