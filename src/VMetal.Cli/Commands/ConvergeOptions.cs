using System.CommandLine;
using VMetal.Cli.Options;
using VMetal.Converge;
using VMetal.Outputs;
using VMetal.Rendering;

namespace VMetal.Cli.Commands;

/// <summary>Options and request building shared by `plan` and `up`.</summary>
internal static class ConvergeOptions
{
    public static readonly Option<bool> Start = new("--start")
    {
        Description = "Also power on bare-metal nodes when they are created (normally Ironic does, through the BMC)",
    };

    public static readonly Option<bool> RestoreNodes = new("--restore-nodes")
    {
        Description = "Bring back nodes taken out with remove-nodes",
    };

    public static void AddTo(Command command)
    {
        TopologyOptions.AddTopology(command);
        TopologyOptions.AddRendering(command);
        command.Options.Add(Start);
        command.Options.Add(RestoreNodes);
        command.Options.Add(LabSession.NoWait);
    }

    public static ConvergeRequest Request(CommandContext context, bool planOnly) => new()
    {
        Topology = TopologyOptions.ToRequest(context),
        // The domain type is decided from the host's capabilities unless --domain-type is given.
        Render = TopologyOptions.ToRenderOptions(context, DomainType.Kvm),
        DomainType = context.Get(TopologyOptions.DomainTypeOption) switch
        {
            "kvm" => DomainType.Kvm,
            "qemu" => DomainType.Qemu,
            _ => null,
        },
        StartBareMetal = context.Get(Start),
        RestoreRemovedNodes = context.Get(RestoreNodes),
        PlanOnly = planOnly,
    };

    /// <summary>The report the output files are written from.</summary>
    public static LabReport Report(CommandContext context, ConvergeResult result, string poolPath)
    {
        var host = context.ResolveHost();
        var nodes = result.Desired.Domains.Select(domain => new NodeReport(domain.Model, result.StateAfter(domain),
            LabReport.FixedAddresses(result.Topology, domain.Model), [])).ToList();
        return new LabReport(context.WorkspaceName, result.Topology,
            new HypervisorAccess(host.Target, host.KeyPath, host.KnownHostsPath), nodes, poolPath, DateTimeOffset.UtcNow);
    }
}
