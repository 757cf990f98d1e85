using VMetal.Cli.Output;
using VMetal.Converge;
using VMetal.Deployment;

namespace VMetal.Cli.Commands;

internal static class TeardownOutput
{
    /// <param name="clearedOutputs">Workspace directories on this machine whose outputs were removed with the labs (cleanup).</param>
    /// <param name="bmcSteps">What was done to the virtual BMCs (down), reported as `up -o json` reports its own.</param>
    public static int Report(CommandContext context, TeardownResult result, string what, IReadOnlyList<string>? clearedOutputs = null,
        IReadOnlyList<BmcStep>? bmcSteps = null)
    {
        if (context.Output.Format == OutputFormat.Json)
        {
            context.Output.WriteJson(new
            {
                workspaces = result.Workspaces,
                changes = LabSession.ChangesJson(result.Plan),
                bmc = bmcSteps is null ? null : new { steps = LabSession.BmcStepsJson(bmcSteps) },
                clearedOutputs,
            });
            return ExitCodes.Success;
        }
        if (result.Plan.Changes.Count == 0)
            context.Output.Info($"nothing to remove for {what}");
        else
            context.Output.Success($"removed {what}: {result.Applied.Count(a => a.Error is null)} object(s)");
        foreach (var step in bmcSteps ?? [])
        {
            if (step.Changed)
                context.Output.Info($"virtual BMCs: {step.Detail}");
            else
                context.Output.Detail($"virtual BMCs, unchanged {step.Name}: {step.Detail}");
        }
        return ExitCodes.Success;
    }
}
