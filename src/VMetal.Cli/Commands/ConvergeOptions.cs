using System.CommandLine;
using VMetal.Bmc.Configuration;
using VMetal.Cli.Options;
using VMetal.Converge;
using VMetal.Deployment;
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

    public static readonly Option<bool> RecreateDisks = new("--recreate-disks")
    {
        Description = "Allow up to recreate existing disks whose definition changed (their contents are lost); without it such a plan is refused",
    };

    public static readonly Option<string> Bmc = new("--bmc")
    {
        Description = "Virtual BMCs for the bare-metal nodes: ipmi, redfish, both or none",
        DefaultValueFactory = _ => "both",
    };

    public static readonly Option<string?> BmcAddress = new("--bmc-address")
    {
        Description = "Hypervisor address the BMCs listen on [default: the hypervisor's address on the lab's management network]",
        HelpName = "address",
    };

    public static readonly Option<int> BmcPort = new("--bmc-port")
    {
        Description = "Redfish HTTPS port (one for all nodes)",
        DefaultValueFactory = _ => BmcDeployer.DefaultRedfishPort,
    };

    public static readonly Option<string?> BmcBinary = new("--bmc-binary")
    {
        Description = "Self-contained linux-x64 vmetal binary to run the BMC service with on the hypervisor [env: VMETAL_BMC_BINARY; default: this vmetal when it is one]",
        HelpName = "path",
    };

    public static readonly Option<bool> Prepare = new("--prepare")
    {
        Description = "Prepare the hypervisor first (packages, libvirt, nested KVM, stack user, keys), as 'vmetal prepare' does",
    };

    public static readonly Option<bool> SkipChecks = new("--skip-checks")
    {
        Description = "Do not check the hypervisor (CPU, RAM, disk, KVM, packages) before changing it",
    };

    public static readonly Option<string?> ImageSha256 = new("--image-sha256")
    {
        Description = "Expected SHA-256 of the file --image-url names; a download that differs is refused",
        HelpName = "hex",
    };

    static ConvergeOptions()
    {
        Bmc.AcceptOnlyFromAmong("ipmi", "redfish", "both", "none");
        // Checked while parsing: up would only fail at deploying the BMCs, after creating the lab.
        BmcPort.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() is var port and (< 1 or > 65535))
                result.AddError($"--bmc-port '{port}': give a TCP port from 1 to 65535");
        });
        BmcAddress.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<string?>() is { } address && !System.Net.IPAddress.TryParse(address, out _))
                result.AddError($"--bmc-address '{address}': give an IP address of the hypervisor, e.g. 172.16.0.1");
        });
    }

    /// <summary>--image-sha256, checked: 64 hex digits, or null.</summary>
    public static string? ExpectedImageSha256(CommandContext context)
    {
        var text = context.Get(ImageSha256)?.Trim();
        if (text is null)
            return null;
        if (text.StartsWith("sha256:", StringComparison.OrdinalIgnoreCase))
            text = text["sha256:".Length..];
        if (text.Length != 64 || !text.All(char.IsAsciiHexDigit))
            throw new UsageException($"--image-sha256 '{text}' is not a SHA-256 digest (64 hexadecimal digits, as sha256sum prints)");
        if (context.Get(Options.TopologyOptions.ImageUrl) is null)
            throw new UsageException("--image-sha256 checks the download of --image-url: give --image-url too");
        return text.ToLowerInvariant();
    }

    /// <summary>The options given that only steer applying (checks, prepare, the image download), as typed: `plan` names them as ignored.</summary>
    public static IReadOnlyList<string> ApplyOnlyOptions(CommandContext context) =>
        [.. new Option[] { Prepare, SkipChecks, ImageSha256, CheckCommand.RequireKvm, CheckCommand.MemoryOvercommit }
            .Where(option => context.ParseResult.GetResult(option) is { Implicit: false })
            .Select(option => option.Name)];

    public static void AddChecksTo(Command command)
    {
        command.Options.Add(Prepare);
        command.Options.Add(SkipChecks);
        command.Options.Add(ImageSha256);
        command.Options.Add(CheckCommand.RequireKvm);
        command.Options.Add(CheckCommand.MemoryOvercommit);
    }

    /// <summary>What the host must offer for this topology, with the user's --require-kvm and --host-memory-overcommit.</summary>
    public static Hypervisor.CheckRequirements CheckRequirements(CommandContext context, Topology.LabTopology topology, RenderOptions render) =>
        Hypervisor.CheckRequirements.For(topology) with
        {
            RequireKvm = context.Get(CheckCommand.RequireKvm),
            MemoryOvercommit = context.Get(CheckCommand.MemoryOvercommit),
            PoolPath = render.PoolPath,
        };

    public static void AddTo(Command command)
    {
        TopologyOptions.AddTopology(command);
        TopologyOptions.AddRendering(command);
        command.Options.Add(Start);
        command.Options.Add(RestoreNodes);
        command.Options.Add(RecreateDisks);
        command.Options.Add(LabSession.NoWait);
    }

    public static void AddBmcTo(Command command)
    {
        command.Options.Add(Bmc);
        command.Options.Add(BmcAddress);
        command.Options.Add(BmcPort);
        command.Options.Add(BmcBinary);
    }

    public static BmcProtocols Protocols(CommandContext context) => context.Get(Bmc) switch
    {
        "ipmi" => BmcProtocols.Ipmi,
        "redfish" => BmcProtocols.Redfish,
        "none" => BmcProtocols.None,
        _ => BmcProtocols.Both,
    };

    /// <summary>The binary the hypervisor runs: --bmc-binary, VMETAL_BMC_BINARY, or this process when it is a self-contained single file.</summary>
    public static string BmcBinaryPath(CommandContext context)
    {
        if (context.Get(BmcBinary) is { Length: > 0 } explicitPath)
            return explicitPath;
        if (Environment.GetEnvironmentVariable("VMETAL_BMC_BINARY") is { Length: > 0 } fromEnvironment)
            return fromEnvironment;
        // A single-file build has no vmetal.dll beside the executable.
        if (Environment.ProcessPath is { } self && Path.GetFileName(self) == "vmetal" && !File.Exists(Path.Combine(AppContext.BaseDirectory, "vmetal.dll"))
            && OperatingSystem.IsLinux() && System.Runtime.InteropServices.RuntimeInformation.OSArchitecture == System.Runtime.InteropServices.Architecture.X64)
            return self;
        throw new BmcBinaryException(
            "the BMC service runs a self-contained linux-x64 vmetal on the hypervisor, and this vmetal is not one: " +
            "use the ./vmetal launcher (it builds one), pass --bmc-binary PATH or set VMETAL_BMC_BINARY; or --bmc none");
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
        RecreateDisks = context.Get(RecreateDisks),
        PlanOnly = planOnly,
    };

    /// <summary>
    /// The workspace key (<c>id_rsa.pub</c>, the one the inventory logs in with) for the NoCloud seed of OS nodes built on
    /// an image. `up` creates the pair when missing; `plan` only reads it, so it changes nothing.
    /// </summary>
    public static ConvergeRequest WithSeedKeys(CommandContext context, ConvergeRequest request, Topology.LabTopology topology, bool createKey)
    {
        if (!topology.Nodes.Any(LibvirtXml.HasSeed))
            return request;
        var publicKey = Path.Combine(context.WorkspaceDirectory, Hypervisor.WorkspaceKeys.RootKeyName + ".pub");
        string? line = createKey
            ? Hypervisor.WorkspaceKeys.Ensure(context.WorkspaceDirectory, Hypervisor.WorkspaceKeys.RootKeyName).PublicKeyLine
            : File.Exists(publicKey) ? File.ReadAllText(publicKey).Trim() : null;
        return line is null ? request : request with { Render = request.Render with { SeedAuthorizedKeys = [line] } };
    }

    /// <summary>The report the output files are written from.</summary>
    public static LabReport Report(CommandContext context, ConvergeResult result, string poolPath, IReadOnlyList<BmcNodeEndpoint> bmcs)
    {
        var host = context.ResolveHost();
        var nodes = result.DomainsInLabOrder.Select(domain => new NodeReport(domain.Model, result.StateAfter(domain),
            LabReport.FixedAddresses(result.Topology, domain.Model), BmcsOf(bmcs.FirstOrDefault(b => b.Name == domain.Name)))).ToList();
        return new LabReport(context.WorkspaceName, result.Topology,
            new HypervisorAccess(host.Target, host.KeyPath, host.KnownHostsPath), nodes, poolPath, DateTimeOffset.UtcNow);
    }

    /// <summary>IPMI first when both are served: what tripleo's instackenv.json has used the longest.</summary>
    private static IReadOnlyList<NodeBmc> BmcsOf(BmcNodeEndpoint? endpoint)
    {
        if (endpoint is null)
            return [];
        var list = new List<NodeBmc>();
        if (endpoint.IpmiAddress is { } address && endpoint.IpmiPort is { } port)
            list.Add(new NodeBmc("ipmi", address, port, endpoint.Username, endpoint.Password, null));
        if (endpoint.RedfishAddress is { } redfish)
            list.Add(new NodeBmc("redfish", redfish.Host, redfish.Port, endpoint.Username, endpoint.Password, endpoint.RedfishSystemId));
        return list;
    }
}
