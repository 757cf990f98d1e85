using System.CommandLine;
using System.Globalization;
using Spectre.Console;
using VMetal.Cli.Options;
using VMetal.Cli.Output;
using VMetal.Topology;

namespace VMetal.Cli.Commands;

/// <summary><c>vmetal catalog</c>: the node types and network layouts available by name, with their sizes.</summary>
public sealed class CatalogCommand : CommandBase
{
    public CatalogCommand(CliServices services)
        : base("catalog", "List the node types and network layouts --topology-nodes and --topology-network accept, with their sizes", services)
    {
        Options.Add(TopologyOptions.Directory);
    }

    protected override async Task<int> ExecuteAsync(CommandContext context, CancellationToken cancellationToken)
    {
        var listing = await TopologyCatalog.ListAsync(context.Get(TopologyOptions.Directory), cancellationToken);
        foreach (var error in listing.Errors)
            context.Output.Error(error.ToString());
        if (context.Output.Format == OutputFormat.Json)
            context.Output.WriteJson(listing);
        else
            Print(context.Output, listing);
        return listing.Errors.Count == 0 ? ExitCodes.Success : ExitCodes.BadInput;
    }

    private static void Print(IConsoleOutput output, CatalogListing listing)
    {
        var types = new Table().Title("node types").AddColumns("type", "VMs", "vCPU", "RAM MiB", "disks", "OS", "groups", "source");
        foreach (var type in listing.NodeTypes)
        {
            types.AddRow(
                Markup.Escape(type.Name),
                Markup.Escape($"{type.NodeName}-N"),
                type.VCpus.ToString(CultureInfo.InvariantCulture),
                type.MemoryMiB.ToString(CultureInfo.InvariantCulture),
                type.DiskCount == 0 ? "none" : $"{type.DiskCount} ({Sizes.Format(type.DiskBytes)})",
                type.DeployOs ? "yes" : "no (PXE)",
                Markup.Escape(string.Join(", ", type.Groups)),
                Markup.Escape(type.Source));
        }
        output.Render(types);

        var layouts = new Table().Title("network layouts").AddColumns("layout", "networks", "source");
        foreach (var layout in listing.Layouts)
        {
            var networks = layout.Networks.Select(network =>
                $"{network.Name}: {network.Forward.ToString().ToLowerInvariant()}, {network.Ipv4 ?? "no IPv4"}" +
                $"{(network.Ipv6 is null ? "" : $", {network.Ipv6}")}{(network.Dhcp ? ", DHCP" : "")}");
            layouts.AddRow(Markup.Escape(layout.Name), Markup.Escape(string.Join('\n', networks)), Markup.Escape(layout.Source));
        }
        output.Render(layouts);

        if (listing.Unsupported.Count == 0)
            return;
        var refused = new Table().Title("infrared names vmetal refuses").AddColumns("name", "kind", "why, and what instead");
        foreach (var entry in listing.Unsupported)
            refused.AddRow(Markup.Escape(entry.Name), Markup.Escape(entry.Kind), Markup.Escape($"{entry.Reason}; {entry.Instead}"));
        output.Render(refused);
    }
}
