using VMetal.Bmc.Configuration;
using VMetal.Cli.Output;
using VMetal.Converge;
using VMetal.Deployment;
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
        ConvergeOptions.AddBmcTo(this);
    }

    protected override async Task<int> ExecuteAsync(CommandContext context, CancellationToken cancellationToken)
    {
        var output = context.Output;
        var request = ConvergeOptions.Request(context, planOnly: false);
        // Bad input fails here, before any host is contacted.
        var topology = await ConvergeEngine.LoadTopologyAsync(request.Topology, output.Warning, cancellationToken);
        var protocols = ConvergeOptions.Protocols(context);
        var bmcBinary = protocols != BmcProtocols.None && topology.Nodes.Any(n => !n.DeployOs) ? ConvergeOptions.BmcBinaryPath(context) : null;
        await using var lab = await LabSession.OpenAsync(context, cancellationToken);
        var result = await output.StatusAsync($"converging workspace '{context.WorkspaceName}' on {lab.Host.Target}",
            update => lab.Engine.ConvergeAsync(request, new ConsoleProgress(output, showPlan: output.Format == OutputFormat.Text), cancellationToken));

        IReadOnlyList<BmcNodeEndpoint> bmcs = [];
        IReadOnlyList<BmcStep> bmcSteps = [];
        var machines = LabBmc.Machines(result.Topology, result.Record.RemovedNodes);
        var deployer = new BmcDeployer(lab.Host);
        if (bmcBinary is not null && machines.Count > 0)
        {
            var address = context.Get(ConvergeOptions.BmcAddress) ?? LabBmc.DefaultListenAddress(result.Topology)
                ?? throw new UsageException("the lab has no IPv4 network for the BMCs to listen on: pass --bmc-address");
            var deployment = await output.StatusAsync("deploying the virtual BMCs",
                _ => deployer.DeployAsync(context.WorkspaceName, machines,
                    new BmcRequest(protocols, address, bmcBinary, context.Get(ConvergeOptions.BmcPort)), cancellationToken));
            bmcs = deployment.Endpoints;
            bmcSteps = deployment.Steps;
            foreach (var step in bmcSteps)
                output.Detail($"{(step.Changed ? "changed" : "unchanged")} {step.Name}: {step.Detail}");
        }
        else
        {
            bmcSteps = await deployer.RemoveAsync(context.WorkspaceName, cancellationToken);
        }

        var files = new WorkspaceFiles(context.WorkspaceDirectory);
        var written = OutputWriter.Write(files, ConvergeOptions.Report(context, result, request.Render.PoolPath, bmcs));
        if (output.Format == OutputFormat.Json)
        {
            output.WriteJson(new
            {
                workspace = context.WorkspaceName,
                plan = LabSession.PlanJson(result.Plan),
                changes = result.Plan.Changes.Select(c => new { kind = c.Kind, name = c.Name, action = c.Action, reason = c.Reason }),
                applied = result.Applied.Select(a => new { kind = a.Change.Kind, name = a.Change.Name, action = a.Change.Action, ms = (int)a.Elapsed.TotalMilliseconds }),
                bmc = new { steps = bmcSteps.Select(s => new { name = s.Name, status = s.Changed ? "changed" : "unchanged", detail = s.Detail }), nodes = bmcs.Select(b => b.ToString()) },
                outputs = written,
            });
        }
        else
        {
            output.Success(result.Plan.IsNoOp
                ? $"workspace '{context.WorkspaceName}' is up to date ({result.Topology.Nodes.Count} nodes, {result.Topology.Networks.Count} networks)"
                : $"workspace '{context.WorkspaceName}' converged: {result.Applied.Count} change(s) applied");
            if (bmcs.Count > 0)
                output.Info($"virtual BMCs: {bmcs.Count} node(s), {string.Join(", ", bmcs.Take(1).Select(b => b.ToString()))}{(bmcs.Count > 1 ? ", …" : "")}");
            output.Info($"outputs: {files.Directory} (hosts, ssh.config, nodes.json, instackenv.json, state.json)");
        }
        return ExitCodes.Success;
    }
}
