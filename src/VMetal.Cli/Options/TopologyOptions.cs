using System.CommandLine;
using VMetal.Cli.Commands;
using VMetal.Cli.Output;
using VMetal.Converge;
using VMetal.Rendering;
using VMetal.Topology;

namespace VMetal.Cli.Options;

/// <summary>
/// The topology options (infrared's names where infrared has one) shared by every command that
/// works on a topology: render, plan, up, check, virsh. <see cref="AddTopology"/> adds what selects
/// the topology, <see cref="AddRendering"/> what shapes the libvirt XML.
/// </summary>
public static class TopologyOptions
{
    public static readonly Option<string?> Nodes = new(NodeCounts.OptionName)
    {
        Description = "Nodes as name:count[,name:count], e.g. undercloud:1,controller:3,compute:2; a name is a node type " +
            "(--topology-dir, then the built-in catalogue) or a path to a node file. Required unless --topology-file is given",
        HelpName = "name:count,...",
    };

    public static readonly Option<string> Network = new("--topology-network")
    {
        Description = "Network layout: a name (--topology-dir, then the built-in catalogue) or a path to a layout file",
        HelpName = "layout",
        DefaultValueFactory = _ => TopologyRequest.DefaultLayout,
    };

    public static readonly Option<string?> File = new("--topology-file")
    {
        Description = "A single-file vmetal topology (vmetal-topology: 1) with its network and node groups",
        HelpName = "path",
    };

    public static readonly Option<string?> Directory = new("--topology-dir")
    {
        Description = "Directory searched before the built-in catalogue: DIR/nodes/<type>.yml and DIR/network/<layout>.yml",
        HelpName = "dir",
    };

    public static readonly Option<string[]> ExtraVars = new("--extra-vars", "-e")
    {
        Description = "override.<node file>.<field.path>=value or override.networks.<netN>.<field>=value (repeatable; the value is YAML)",
        HelpName = "key=value",
        AllowMultipleArgumentsPerToken = false,
        Arity = ArgumentArity.ZeroOrMore,
    };

    public static readonly Option<string?> Prefix = new("--prefix")
    {
        Description = "Prefix for VM, network and bridge names (<prefix>-<name>), so several labs can share one host",
        HelpName = "prefix",
    };

    public static readonly Option<int?> NetOctet = new("--net-subnet", "--net_subnet")
    {
        Description = "Third octet for {{ net }} (management 172.16.N.0/24, external 10.0.N.0/24) [default: 0, or 10 with --prefix]",
        HelpName = "0-255",
    };

    public static readonly Option<int?> DataNetOctet = new("--data-subnet", "--data_subnet")
    {
        Description = "Third octet for {{ data_net }} (data plane 192.168.N.0/24) [default: 24]",
        HelpName = "0-255",
    };

    public static readonly Option<string> BootMode = new("--bootmode")
    {
        Description = "Firmware of bare-metal (deploy_os: false) nodes; OS nodes always boot BIOS",
        DefaultValueFactory = _ => "bios",
    };

    public static readonly Option<string> DiskBus = new("--disk-bus")
    {
        Description = "Bus of the node disks",
        DefaultValueFactory = _ => "virtio",
    };

    public static readonly Option<string?> Image = new("--image")
    {
        Description = "Path on the host of the qcow2 cloud image that OS nodes' first disks are overlays of",
        HelpName = "path",
    };

    public static readonly Option<string?> ImageUrl = new("--image-url")
    {
        Description = "URL (http, https, ftp, file) of the qcow2 or raw cloud image for OS nodes' first disks; `up` downloads it once to " +
                      BaseImages.CacheDirectory + " on the host",
        HelpName = "url",
    };

    public static readonly Option<string> DiskPool = new("--disk-pool")
    {
        Description = "Directory of the libvirt storage pool that holds the node disks",
        HelpName = "path",
        DefaultValueFactory = _ => new RenderOptions().PoolPath,
    };

    public static readonly Option<string> PoolName = new("--pool-name")
    {
        Description = "Name of that libvirt storage pool",
        HelpName = "name",
        DefaultValueFactory = _ => new RenderOptions().PoolName,
    };

    public static readonly Option<string?> DomainTypeOption = new("--domain-type")
    {
        Description = "libvirt domain type: kvm (hardware virtualisation) or qemu (emulation, for hosts without it)",
    };

    public static readonly Option<bool> SerialFiles = new("--serial-files")
    {
        Description = "Also log each VM's serial console to /var/log/libvirt/qemu/<vm>-serial.log",
    };

    public static readonly Option<bool> VncExternal = new("--vnc-external")
    {
        Description = "VNC consoles listen on 0.0.0.0 instead of 127.0.0.1",
    };

    public static readonly Option<string?> VncPassword = new("--vnc-password")
    {
        Description = "Password for the VNC consoles",
        HelpName = "password",
    };

    static TopologyOptions()
    {
        BootMode.AcceptOnlyFromAmong("bios", "uefi");
        DiskBus.AcceptOnlyFromAmong("virtio", "scsi");
        DomainTypeOption.AcceptOnlyFromAmong("kvm", "qemu");
        // Checked while parsing, so a bad value stops the command before any host is touched.
        DiskPool.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<string>() is { } path && (!path.StartsWith('/') || path.Any(c => char.IsWhiteSpace(c) || char.IsControl(c))))
                result.AddError($"--disk-pool '{path}': give an absolute directory path on the hypervisor, without spaces");
        });
        PoolName.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<string>() is { } name && !WorkspaceRecord.IsValidWorkspaceName(name))
                result.AddError($"--pool-name '{name}': use letters, digits, '.', '_' and '-'");
        });
        VncPassword.Validators.Add(result =>
        {
            // QEMU's VNC authentication (DES) takes at most 8 characters; libvirt refuses longer ones at define time.
            if (result.GetValueOrDefault<string?>() is { Length: > 8 } password)
                result.AddError($"--vnc-password is {password.Length} characters long: VNC allows at most 8");
        });
    }

    public static IReadOnlyList<Option> TopologySelection =>
        [Nodes, Network, File, Directory, ExtraVars, Prefix, NetOctet, DataNetOctet, BootMode, DiskBus, Image, ImageUrl];

    public static IReadOnlyList<Option> Rendering =>
        [DiskPool, PoolName, DomainTypeOption, SerialFiles, VncExternal, VncPassword];

    public static void AddTopology(Command command)
    {
        foreach (var option in TopologySelection)
            command.Options.Add(option);
    }

    public static void AddRendering(Command command)
    {
        foreach (var option in Rendering)
            command.Options.Add(option);
    }

    public static TopologyRequest ToRequest(CommandContext context)
    {
        var net = context.Get(NetOctet);
        var dataNet = context.Get(DataNetOctet);
        var prefix = context.Get(Prefix);
        var defaults = NetworkOctets.DefaultFor(prefix);
        return new TopologyRequest
        {
            Workspace = context.WorkspaceName,
            NodeCounts = context.Get(Nodes),
            NetworkLayout = context.Get(Network) ?? TopologyRequest.DefaultLayout,
            TopologyFile = context.Get(File),
            TopologyDirectory = context.Get(Directory),
            ExtraVars = context.Get(ExtraVars) ?? [],
            Prefix = prefix,
            Octets = net is null && dataNet is null ? null : new NetworkOctets(net ?? defaults.Net, dataNet ?? defaults.DataNet),
            GivenOctets = (net, dataNet),
            BootMode = context.Get(BootMode) == "uefi" ? Topology.BootMode.Uefi : Topology.BootMode.Bios,
            DiskBus = context.Get(DiskBus) == "scsi" ? Topology.DiskBus.Scsi : Topology.DiskBus.Virtio,
            BaseImage = context.Get(Image),
            BaseImageUrl = context.Get(ImageUrl),
        };
    }

    /// <summary>The render options; <paramref name="detectedDomainType"/> applies when --domain-type is not given.</summary>
    public static RenderOptions ToRenderOptions(CommandContext context, DomainType detectedDomainType) => new()
    {
        DomainType = context.Get(DomainTypeOption) switch
        {
            "kvm" => DomainType.Kvm,
            "qemu" => DomainType.Qemu,
            _ => detectedDomainType,
        },
        SerialLogFiles = context.Get(SerialFiles),
        VncExternal = context.Get(VncExternal),
        VncPassword = context.Get(VncPassword),
        PoolPath = context.Get(DiskPool) ?? new RenderOptions().PoolPath,
        PoolName = context.Get(PoolName) ?? new RenderOptions().PoolName,
    };

    /// <summary>
    /// Loads and validates the topology. Warnings go to the console; on failure
    /// <see cref="TopologyInvalidException"/> ends the command with exit code 2, and
    /// <see cref="CommandBase"/> prints every error as <c>file:line:column: message</c>.
    /// </summary>
    public static Task<LabTopology> LoadAsync(CommandContext context, CancellationToken cancellationToken) =>
        Converge.ConvergeEngine.LoadTopologyAsync(ToRequest(context), context.Output.Warning, cancellationToken);
}
