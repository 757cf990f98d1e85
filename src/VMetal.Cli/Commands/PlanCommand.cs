using VMetal.Cli.Output;
using VMetal.Converge;
using VMetal.Deployment;

namespace VMetal.Cli.Commands;

/// <summary>
/// <c>vmetal plan</c>: what `up` would do, computed against the host; changes nothing. It takes every
/// option `up` takes, so a job can swap `up` for `plan`: the BMC options are reflected in the plan,
/// the options that only steer applying (host checks, prepare) are named as ignored.
/// </summary>
public sealed class PlanCommand : CommandBase
{
    public PlanCommand(CliServices services)
        : base("plan", "Show what 'up' would create, update, replace or delete on the hypervisor, and why (changes nothing; takes up's options)", services)
    {
        ConvergeOptions.AddTo(this);
        ConvergeOptions.AddBmcTo(this);
        ConvergeOptions.AddChecksTo(this);
    }

    protected override async Task<int> ExecuteAsync(CommandContext context, CancellationToken cancellationToken)
    {
        var output = context.Output;
        var request = ConvergeOptions.Request(context, planOnly: true);
        // Validated as `up` validates it, so a plan that passes does not hide a bad digest.
        ConvergeOptions.ExpectedImageSha256(context);
        var topology = await ConvergeEngine.LoadTopologyAsync(request.Topology, output.Warning, cancellationToken);
        request = ConvergeOptions.WithSeedKeys(context, request, topology, createKey: false);
        var ignored = ConvergeOptions.ApplyOnlyOptions(context);
        if (ignored.Count > 0)
            output.Info($"plan checks, prepares and downloads nothing: {string.Join(", ", ignored)} only affect up");
        await using var lab = await LabSession.OpenAsync(context, cancellationToken);
        var result = await lab.Engine.ConvergeAsync(request, new ConsoleProgress(output, showPlan: false), cancellationToken);
        var bmc = BmcPlan(context, result);
        // What up refuses before applying (exit 2) is a warning here: plan reports, it does not fail.
        var refusals = (await Hypervisor.HostBridges.ProblemsAsync(lab.Host, result.Topology, cancellationToken))
            .Concat(await Hypervisor.HostImages.ProblemsAsync(lab.Host, result.Topology, result.Plan, cancellationToken))
            .Append(ConvergeEngine.RecreateRefusal(result.Plan, request.RecreateDisks)?.Message).OfType<string>()
            .Select(p => "up would stop: " + p).ToList();
        foreach (var refusal in refusals)
            output.Warning(refusal);
        var plan = refusals.Count == 0 ? result.Plan : result.Plan with { Warnings = [.. result.Plan.Warnings, .. refusals] };
        if (output.Format == OutputFormat.Json)
        {
            output.WriteJson(LabSession.PlanJson(plan, bmc, ignored));
            return ExitCodes.Success;
        }
        LabSession.RenderPlan(output, plan, showUnchanged: output.Verbose);
        output.Info(bmc.Nodes.Count == 0
            ? $"virtual BMCs: none ({(bmc.Protocols == "none" ? "--bmc none" : "no bare-metal nodes")})"
            : $"virtual BMCs: {bmc.Protocols} for {bmc.Nodes.Count} bare-metal node(s), listening on {bmc.Address ?? "(no IPv4 network: pass --bmc-address)"}" +
              (bmc.RedfishPort is { } port ? $", Redfish on port {port}" : ""));
        if (bmc.Problem is { } problem)
            output.Warning($"up would stop at the BMCs: {problem}");
        return ExitCodes.Success;
    }

    /// <summary>What `up` would deploy as BMCs after converging, from the same options (nothing is resolved on the host).</summary>
    private static PlannedBmcs BmcPlan(CommandContext context, ConvergeResult result)
    {
        var protocols = ConvergeOptions.Protocols(context);
        var machines = protocols == BmcProtocols.None ? [] : LabBmc.Machines(result.Topology, result.Record.RemovedNodes);
        if (machines.Count == 0)
            return new PlannedBmcs(protocols == BmcProtocols.None ? "none" : ProtocolName(protocols), [], null, null, null);
        string? problem = null;
        try
        {
            ConvergeOptions.BmcBinaryPath(context);
        }
        catch (BmcBinaryException ex)
        {
            problem = ex.Message;
        }
        var address = context.Get(ConvergeOptions.BmcAddress) ?? LabBmc.DefaultListenAddress(result.Topology);
        problem ??= address is null ? "the lab has no IPv4 network for the BMCs to listen on: pass --bmc-address" : null;
        return new PlannedBmcs(ProtocolName(protocols), [.. machines.Select(m => m.Name)], address,
            protocols is BmcProtocols.Redfish or BmcProtocols.Both ? context.Get(ConvergeOptions.BmcPort) : null, problem);
    }

    private static string ProtocolName(BmcProtocols protocols) => protocols switch
    {
        BmcProtocols.Ipmi => "ipmi",
        BmcProtocols.Redfish => "redfish",
        _ => "ipmi+redfish",
    };
}

/// <summary>The BMCs `up` would deploy (plan's JSON "bmc").</summary>
internal sealed record PlannedBmcs(string Protocols, IReadOnlyList<string> Nodes, string? Address, int? RedfishPort, string? Problem);
