using VMetal.Cli.Output;
using VMetal.Converge;

namespace VMetal.Cli.Commands;

internal static class TeardownOutput
{
    /// <param name="clearedOutputs">Workspace directories on this machine whose outputs were removed with the labs (cleanup).</param>
    public static int Report(CommandContext context, TeardownResult result, string what, IReadOnlyList<string>? clearedOutputs = null)
    {
        if (context.Output.Format == OutputFormat.Json)
        {
            context.Output.WriteJson(new
            {
                workspaces = result.Workspaces,
                changes = LabSession.ChangesJson(result.Plan),
                clearedOutputs,
            });
        }
        else if (result.Plan.Changes.Count == 0)
        {
            context.Output.Info($"nothing to remove for {what}");
        }
        else
        {
            context.Output.Success($"removed {what}: {result.Applied.Count(a => a.Error is null)} object(s)");
        }
        return ExitCodes.Success;
    }
}
