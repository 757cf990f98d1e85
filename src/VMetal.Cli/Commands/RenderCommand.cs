using System.CommandLine;
using System.Globalization;
using Spectre.Console;
using VMetal.Cli.Options;
using VMetal.Cli.Output;
using VMetal.Rendering;
using VMetal.Topology;

namespace VMetal.Cli.Commands;

/// <summary>
/// <c>vmetal render</c>: loads and validates a topology without any host, prints the model, and
/// with <c>--xml-dir</c> writes the libvirt XML that <c>up</c> would define.
/// </summary>
public sealed class RenderCommand : CommandBase
{
    private static readonly Option<string?> XmlDirectory = new("--xml-dir")
    {
        Description = "Write every libvirt XML document into this directory (domain-<vm>.xml, network-<net>.xml, pool-<pool>.xml, volume-<disk>.xml)",
        HelpName = "dir",
    };

    public RenderCommand(CliServices services)
        : base("render", "Validate a topology and show the VMs and networks it makes, without a host; optionally write the libvirt XML", services)
    {
        TopologyOptions.AddTopology(this);
        TopologyOptions.AddRendering(this);
        Options.Add(XmlDirectory);
    }

    protected override async Task<int> ExecuteAsync(CommandContext context, CancellationToken cancellationToken)
    {
        var topology = await TopologyOptions.LoadAsync(context, cancellationToken);
        // No host to ask: assume hardware virtualisation unless told otherwise.
        var renderer = new LibvirtXml(TopologyOptions.ToRenderOptions(context, DomainType.Kvm));
        var rendered = renderer.RenderAll(topology);
        foreach (var warning in rendered.Warnings)
            context.Output.Warning(warning);
        var written = context.Get(XmlDirectory) is { Length: > 0 } directory
            ? await WriteAsync(directory, rendered.Documents, cancellationToken)
            : [];

        if (context.Output.Format == OutputFormat.Json)
        {
            context.Output.WriteJson(new { topology, warnings = rendered.Warnings, files = written });
            return ExitCodes.Success;
        }
        Print(context.Output, topology);
        if (written.Count > 0)
            context.Output.Success($"wrote {written.Count} XML files to {Path.GetDirectoryName(written[0])}");
        return ExitCodes.Success;
    }

    private static async Task<IReadOnlyList<string>> WriteAsync(string directory, IReadOnlyList<RenderedDocument> documents, CancellationToken cancellationToken)
    {
        var fullPath = Path.GetFullPath(directory);
        try
        {
            System.IO.Directory.CreateDirectory(fullPath);
            var paths = new List<string>();
            foreach (var document in documents)
            {
                var path = Path.Combine(fullPath, document.FileName);
                await System.IO.File.WriteAllTextAsync(path, document.Xml, cancellationToken);
                paths.Add(path);
            }
            return paths;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            throw new VMetalException(FailureKind.BadInput, $"--xml-dir: cannot write to '{fullPath}': {exception.Message}");
        }
    }

    private static void Print(IConsoleOutput output, LabTopology topology)
    {
        output.Info($"workspace {topology.Workspace}, prefix {topology.Prefix ?? "(none)"}, octets net={topology.Octets.Net} " +
            $"data_net={topology.Octets.DataNet}, topology hash {topology.Hash}");

        var nodes = new Table().Title("nodes").AddColumns("node", "type", "vCPU", "RAM MiB", "disks", "firmware", "boot");
        foreach (var node in topology.Nodes)
        {
            nodes.AddRow(
                Markup.Escape(node.Name),
                Markup.Escape(node.Type),
                node.VCpus.ToString(CultureInfo.InvariantCulture),
                node.MemoryMiB.ToString(CultureInfo.InvariantCulture),
                Markup.Escape(DiskSummary(node.Disks)),
                node.BootMode.ToString().ToLowerInvariant(),
                node.PxeNic is null ? "disk" : node.Disks.Count > 0 ? "network, disk" : "network");
        }
        output.Render(nodes);

        var leases = topology.Networks
            .SelectMany(network => network.Ipv4?.Hosts ?? [])
            .ToLookup(host => host.MacAddress, host => host.Address.ToString());
        var nics = new Table().Title("NICs")
            .AddColumns(new TableColumn("node").NoWrap(), new TableColumn("NIC"), new TableColumn("network"), new TableColumn("MAC").NoWrap(),
                new TableColumn("boot"), new TableColumn("fixed IPv4").NoWrap());
        foreach (var node in topology.Nodes)
        {
            foreach (var nic in node.Nics)
            {
                nics.AddRow(
                    Markup.Escape(node.Name),
                    $"eth{nic.Index}",
                    Markup.Escape(nic.Network),
                    nic.MacAddress,
                    nic.BootOrder is null ? "" : "PXE",
                    string.Join(", ", leases[nic.MacAddress]));
            }
        }
        output.Render(nics);

        var networks = new Table().Title("networks").AddColumns("network", "bridge", "forward", "IPv4", "DHCP", "IPv6");
        foreach (var network in topology.Networks)
        {
            networks.AddRow(
                Markup.Escape(network.Name),
                Markup.Escape(network.BridgeName),
                network.Forward.ToString().ToLowerInvariant(),
                network.Ipv4 is { } ipv4 ? $"{ipv4.Address}/{ipv4.PrefixLength}" : "-",
                network.Ipv4?.Dhcp is { } range ? $"{range.Start}-{range.End}" : "-",
                network.Ipv6 is { } ipv6 ? $"{ipv6.Address}/{ipv6.PrefixLength}" : "-");
        }
        output.Render(networks);

        output.Info($"totals: {topology.Nodes.Count} nodes, {topology.TotalVCpus} vCPUs, {topology.TotalMemoryMiB} MiB RAM " +
            $"({Sizes.Format(topology.TotalMemoryMiB * Sizes.MiB)}), {Sizes.Format(topology.TotalDiskBytes)} virtual disk (thin)");
    }

    /// <summary>"64G", or "46G + 5×47G" for runs of equal disks.</summary>
    internal static string DiskSummary(IReadOnlyList<NodeDisk> disks)
    {
        if (disks.Count == 0)
            return "none";
        var runs = new List<(long Size, int Count)>();
        foreach (var disk in disks)
        {
            if (runs.Count > 0 && runs[^1].Size == disk.SizeBytes)
                runs[^1] = (disk.SizeBytes, runs[^1].Count + 1);
            else
                runs.Add((disk.SizeBytes, 1));
        }
        return string.Join(" + ", runs.Select(run => run.Count == 1 ? Sizes.Format(run.Size) : $"{run.Count}×{Sizes.Format(run.Size)}"));
    }
}
