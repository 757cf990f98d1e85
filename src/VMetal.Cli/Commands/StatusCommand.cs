using Spectre.Console;
using VMetal.Cli.Output;

namespace VMetal.Cli.Commands;

/// <summary><c>vmetal status</c>: the workspace's nodes (power state, MACs, addresses) and networks, as libvirt sees them now.</summary>
public sealed class StatusCommand : CommandBase
{
    public StatusCommand(CliServices services)
        : base("status", "Show the workspace's nodes (state, MACs, IP addresses) and networks on the hypervisor", services)
    {
        Options.Add(LabSession.LabPrefix);
    }

    protected override async Task<int> ExecuteAsync(CommandContext context, CancellationToken cancellationToken)
    {
        await using var lab = await LabSession.OpenAsync(context, cancellationToken);
        var status = await lab.Engine.StatusAsync(context.WorkspaceName, context.Get(LabSession.LabPrefix), cancellationToken);
        var bmc = await new Deployment.BmcDeployer(lab.Host).ReadStatusAsync(context.WorkspaceName, cancellationToken);
        var endpoints = (bmc.Config is null ? [] : Bmc.Configuration.BmcEndpoints.Describe(bmc.Config)).ToDictionary(e => e.Name, StringComparer.Ordinal);
        var fixedAddresses = status.Networks.SelectMany(n => n.Hosts)
            .GroupBy(h => h.MacAddress, StringComparer.OrdinalIgnoreCase).ToDictionary(g => g.Key, g => g.First().Address.ToString(), StringComparer.OrdinalIgnoreCase);
        string? AddressOf(string mac) =>
            status.LeasesByMac.TryGetValue(mac, out var leased) ? leased : fixedAddresses.GetValueOrDefault(mac);

        var nodes = status.Domains.Select(domain => new
        {
            name = domain.Name,
            uuid = domain.Uuid,
            state = domain.Running ? "running" : "shut off",
            type = domain.Owner?.Type,
            interfaces = domain.Interfaces.Select(nic => new { network = nic.Network, mac = nic.Mac, address = AddressOf(nic.Mac) }).ToList(),
            bmc = endpoints.GetValueOrDefault(domain.Name),
        }).ToList();
        var networks = status.Networks.Select(network => new
        {
            name = network.Name,
            active = network.Active,
            autostart = network.Autostart,
            subnets = network.Subnets.Select(s => s.ToString()).ToList(),
            fixedLeases = network.Hosts.Count,
        }).ToList();

        if (context.Output.Format == OutputFormat.Json)
        {
            context.Output.WriteJson(new
            {
                workspace = context.WorkspaceName,
                host = lab.Host.Target.ToString(),
                prefix = status.Record?.Prefix,
                nodes = nodes.Select(n => new
                {
                    n.name, n.uuid, n.state, n.type, n.interfaces,
                    // The password stays in instackenv.json / nodes.json, out of terminal scrollback and CI logs.
                    bmc = n.bmc is null ? null : LabSession.BmcNodesJson([n.bmc]).Single(),
                }),
                networks,
                bmc = new { serviceRunning = bmc.ServiceRunning, configured = bmc.Config is not null },
            });
            return ExitCodes.Success;
        }
        if (nodes.Count == 0 && networks.Count == 0)
        {
            context.Output.Info($"workspace '{context.WorkspaceName}' has nothing on {lab.Host.Target}");
            return ExitCodes.Success;
        }
        var nodeTable = new Table().Border(TableBorder.Simple).AddColumn("node").AddColumn("state").AddColumn("network").AddColumn("MAC").AddColumn("address");
        if (endpoints.Count > 0)
            nodeTable.AddColumn("BMC");
        foreach (var node in nodes)
        {
            var first = true;
            foreach (var nic in node.interfaces.DefaultIfEmpty())
            {
                string[] cells = [first ? Markup.Escape(node.name) : "", first ? (node.state == "running" ? "[green]running[/]" : "[grey]shut off[/]") : "",
                    Markup.Escape(nic?.network ?? ""), nic?.mac ?? "", nic?.address ?? ""];
                nodeTable.AddRow(endpoints.Count > 0 ? [.. cells, first ? BmcCell(node.bmc) : ""] : cells);
                first = false;
            }
        }
        context.Output.Render(nodeTable);
        var networkTable = new Table().Border(TableBorder.Simple).AddColumn("network").AddColumn("active").AddColumn("autostart").AddColumn("subnet").AddColumn("fixed leases");
        foreach (var network in networks)
            networkTable.AddRow(Markup.Escape(network.name), network.active ? "yes" : "[red]no[/]", network.autostart ? "yes" : "no",
                string.Join(", ", network.subnets), network.fixedLeases.ToString(System.Globalization.CultureInfo.InvariantCulture));
        context.Output.Render(networkTable);
        if (bmc.Config is { } config)
        {
            var where = string.Join("; ", new[]
            {
                config.Ipmi is { } ipmi ? $"IPMI on {ipmi.Address}" : null,
                endpoints.Values.FirstOrDefault()?.RedfishAddress is { } redfish ? $"Redfish {redfish.GetLeftPart(UriPartial.Authority)}" : null,
            }.OfType<string>());
            context.Output.Info($"virtual BMCs: {where}, user {config.Credentials.Username} (password in instackenv.json)" +
                (bmc.ServiceRunning ? "; service running" : ""));
            if (!bmc.ServiceRunning)
                context.Output.Warning("the BMC service is not running on the hypervisor: 'vmetal up' starts it again");
        }
        return ExitCodes.Success;
    }

    private static string BmcCell(Bmc.Configuration.BmcNodeEndpoint? endpoint) => endpoint is null ? "" : string.Join(", ", new[]
    {
        endpoint.IpmiPort is { } port ? $"ipmi :{port.ToString(System.Globalization.CultureInfo.InvariantCulture)}" : null,
        endpoint.RedfishSystemId is not null ? "redfish" : null,
    }.OfType<string>());
}
