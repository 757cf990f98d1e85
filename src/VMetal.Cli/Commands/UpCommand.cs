using VMetal.Cli.Output;
using VMetal.Converge;
using VMetal.Outputs;

namespace VMetal.Cli.Commands;

/// <summary>
/// <c>vmetal up</c>: converge the hypervisor to the topology (networks, disks, VMs), then write
/// the workspace's outputs. Re-running with the same input changes nothing.
/// </summary>
public sealed class UpCommand : CommandBase
{
    public UpCommand(CliServices services)
        : base("up", "Create or converge the lab on the hypervisor (networks, disks, VMs) and write the inventory and Ironic files", services)
    {
        ConvergeOptions.AddTo(this);
    }

    protected override async Task<int> ExecuteAsync(CommandContext context, CancellationToken cancellationToken)
    {
        var output = context.Output;
        var request = ConvergeOptions.Request(context, planOnly: false);
        // Bad input fails here, before any host is contacted.
        await ConvergeEngine.LoadTopologyAsync(request.Topology, output.Warning, cancellationToken);
        await using var lab = await LabSession.OpenAsync(context, cancellationToken);
        var result = await output.StatusAsync($"converging workspace '{context.WorkspaceName}' on {lab.Host.Target}",
            update => lab.Engine.ConvergeAsync(request, new ConsoleProgress(output, showPlan: output.Format == OutputFormat.Text), cancellationToken));

        var files = new WorkspaceFiles(context.WorkspaceDirectory);
        var written = OutputWriter.Write(files, ConvergeOptions.Report(context, result, request.Render.PoolPath));
        if (output.Format == OutputFormat.Json)
        {
            output.WriteJson(new
            {
                workspace = context.WorkspaceName,
                plan = LabSession.PlanJson(result.Plan),
                changes = result.Plan.Changes.Select(c => new { kind = c.Kind, name = c.Name, action = c.Action, reason = c.Reason }),
                applied = result.Applied.Select(a => new { kind = a.Change.Kind, name = a.Change.Name, action = a.Change.Action, ms = (int)a.Elapsed.TotalMilliseconds }),
                outputs = written,
            });
        }
        else
        {
            output.Success(result.Plan.IsNoOp
                ? $"workspace '{context.WorkspaceName}' is up to date ({result.Topology.Nodes.Count} nodes, {result.Topology.Networks.Count} networks)"
                : $"workspace '{context.WorkspaceName}' converged: {result.Applied.Count} change(s) applied");
            output.Info($"outputs: {files.Directory} (hosts, ssh.config, nodes.json, instackenv.json, state.json)");
        }
        return ExitCodes.Success;
    }
}
