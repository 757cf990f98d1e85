using VMetal.Bmc.Configuration;
using VMetal.Cli.Output;
using VMetal.Converge;
using VMetal.Deployment;
using VMetal.Hosting;
using VMetal.Hypervisor;
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
        ConvergeOptions.AddChecksTo(this);
    }

    protected override async Task<int> ExecuteAsync(CommandContext context, CancellationToken cancellationToken)
    {
        var output = context.Output;
        var request = ConvergeOptions.Request(context, planOnly: false);
        // Bad input fails here, before any host is contacted.
        var topology = await ConvergeEngine.LoadTopologyAsync(request.Topology, output.Warning, cancellationToken);
        request = ConvergeOptions.WithSeedKeys(context, request, topology, createKey: true);
        var protocols = ConvergeOptions.Protocols(context);
        var bmcBinary = protocols != BmcProtocols.None && topology.Nodes.Any(n => !n.DeployOs) ? ConvergeOptions.BmcBinaryPath(context) : null;
        var requirements = ConvergeOptions.CheckRequirements(context, topology, request.Render);
        var prepare = context.Get(ConvergeOptions.Prepare);
        var imageSha256 = ConvergeOptions.ExpectedImageSha256(context);
        await using var lab = await LabSession.OpenAsync(context, cancellationToken,
            prepare ? host => PrepareAsync(context, host, requirements, request.Render, cancellationToken) : null);
        var check = !prepare && !context.Get(ConvergeOptions.SkipChecks);
        // Under the host lock, only when something changes: a no-op re-run neither checks nor looks for images.
        request = request with
        {
            BeforeApply = async (labTopology, plan, token) =>
            {
                // Bad input that libvirt would only report at a VM's start, after the rest was created: refused whatever the checks.
                if (await HostBridges.ProblemsAsync(lab.Host, labTopology, token) is { Count: > 0 } bridges)
                    throw HostBridges.Refusal(bridges);
                if (await HostImages.ProblemsAsync(lab.Host, labTopology, plan, token) is { Count: > 0 } images)
                    throw HostImages.Refusal(images);
                if (check)
                    await CheckAsync(context, lab.Host, requirements, token);
                await FetchImagesAsync(context, lab.Host, labTopology, imageSha256, token);
            },
        };
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
            if (NoBmcWarning(protocols, machines.Count) is { } warning)
                output.Warning(warning);
        }

        var files = new WorkspaceFiles(context.WorkspaceDirectory);
        var written = OutputWriter.Write(files, ConvergeOptions.Report(context, result, request.Render.PoolPath, bmcs));
        // cleanup finds the default directories by name; one given with --workspace-dir it finds through the index.
        if (files.Directory != CommandContext.DefaultWorkspaceDirectory(context.WorkspaceName))
            new WorkspaceIndex(WorkspaceIndex.DefaultPath).Add(context.WorkspaceName, files.Directory);
        if (output.Format == OutputFormat.Json)
        {
            output.WriteJson(LabSession.UpJson(context.WorkspaceName, result.Plan, result.Applied, bmcSteps, bmcs, written));
        }
        else
        {
            output.Success(result.Plan.IsNoOp
                ? $"workspace '{context.WorkspaceName}' is up to date ({result.Summary})"
                : $"workspace '{context.WorkspaceName}' converged: {result.ChangesApplied} change(s) applied");
            if (bmcs.Count > 0)
                output.Info($"virtual BMCs: {bmcs.Count} node(s), {string.Join(", ", bmcs.Take(1).Select(b => b.ToString()))}{(bmcs.Count > 1 ? ", …" : "")}");
            output.Info($"outputs: {files.Directory} (hosts, ssh.config, nodes.json, instackenv.json, state.json)");
        }
        return ExitCodes.Success;
    }

    /// <summary>
    /// What `--bmc none` means for Ironic, said once by `up`: nothing can power the bare-metal nodes, and the Ironic files
    /// name the hardware type for that. Null when the lab has BMCs or no bare-metal node.
    /// </summary>
    internal static string? NoBmcWarning(BmcProtocols protocols, int bareMetalNodes) =>
        protocols != BmcProtocols.None || bareMetalNodes == 0 ? null :
            $"--bmc none: the lab's {bareMetalNodes} bare-metal node(s) have no BMC, so Ironic cannot power them on or off or set their boot device; " +
            $"instackenv.json and nodes.json give them Ironic's '{OutputWriter.ManualManagement}' hardware type (enable it in Ironic's " +
            "enabled_hardware_types, e.g. undercloud.conf, and power the nodes yourself). For virtual BMCs pass --bmc ipmi|redfish|both";

    /// <summary>The host check before changes: failures stop the run (exit 3) with the check table.</summary>
    private static async Task CheckAsync(CommandContext context, IHostConnection host, CheckRequirements requirements, CancellationToken cancellationToken)
    {
        var report = await HypervisorChecker.CheckAsync(host, requirements, cancellationToken);
        foreach (var warning in report.Checks.Where(c => c.Status == CheckStatus.Warn))
            context.Output.Detail($"check {warning.Id}: {warning.Found} ({warning.Required})");
        if (!report.HasFailures)
            return;
        CheckCommand.RenderChecks(context.Output, report);
        throw new VMetalException(FailureKind.ChecksFailed,
            $"{report.Host} cannot host this lab: {string.Join(", ", report.Checks.Where(c => c.Status == CheckStatus.Fail).Select(c => c.Id))} failed " +
            "(see the table; --skip-checks or --host-memory-overcommit if you know better)");
    }

    /// <summary>Downloads the base images the topology names by URL, unless the host has them already.</summary>
    private static async Task FetchImagesAsync(CommandContext context, IHostConnection host, Topology.LabTopology topology, string? sha256,
        CancellationToken cancellationToken)
    {
        if (topology.Images.Count == 0)
            return;
        foreach (var image in topology.Images)
            context.Output.Detail($"base image {image.Url} -> {image.HostPath}");
        var fetched = await new Images.BaseImageFetcher(host).FetchAsync(topology.Images, sha256, cancellationToken);
        foreach (var image in fetched)
        {
            var what = $"{image.Source.Url}: {Topology.Sizes.Format(image.Bytes)} qcow2, {Topology.Sizes.Format(image.VirtualSize)} virtual";
            if (image.Downloaded)
                context.Output.Info($"downloaded base image {what} in {image.Elapsed.TotalSeconds:0.0} s");
            else
                context.Output.Detail($"base image already on the host: {what}");
        }
    }

    /// <summary>`up --prepare`: what `vmetal prepare` does, before libvirt is opened (it may install it).</summary>
    private static async Task PrepareAsync(CommandContext context, IHostConnection host, CheckRequirements requirements,
        Rendering.RenderOptions render, CancellationToken cancellationToken)
    {
        var report = await context.Output.StatusAsync($"preparing {host.Target}", update => HypervisorPreparer.PrepareAsync(host,
            new PrepareOptions
            {
                WorkspaceDirectory = context.WorkspaceDirectory,
                PoolName = render.PoolName,
                PoolPath = render.PoolPath,
                Requirements = requirements,
            }, update, cancellationToken));
        foreach (var step in report.Steps)
            context.Output.Detail($"prepare {step.Name}: {step.Status.ToString().ToLowerInvariant()} {step.Detail}");
        if (report.StoppedByChecks)
        {
            CheckCommand.RenderChecks(context.Output, report.Check);
            throw new VMetalException(FailureKind.ChecksFailed, $"{host.Target} cannot be prepared: a check failed (see the table)");
        }
        if (!report.Succeeded)
            throw new VMetalException(FailureKind.OperationFailed,
                "prepare failed: " + string.Join("; ", report.Steps.Where(s => s.Status == StepStatus.Failed).Select(s => $"{s.Name}: {s.Detail}")));
    }
}
