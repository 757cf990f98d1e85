using System.Text.Json;
using VMetal.Cli.Output;
using VMetal.Sandbox;

namespace VMetal.Cli.Commands;

/// <summary>
/// <c>vmetal demo</c>: the README's first command. Brings the sandbox hypervisor up and runs
/// vmetal's main job against it through the ordinary commands: `up` of a small lab (bare-metal
/// nodes that PXE-boot, with IPMI and Redfish BMCs), then `status`.
/// </summary>
public sealed class DemoCommand(CliServices services)
    : CommandBase("demo", "Bring the sandbox hypervisor up and provision a small lab on it (3 networks, 3 bare-metal nodes with BMCs)", services)
{
    private const string Workspace = "demo";

    /// <summary>infrared's default 3_nets layout with three small bare-metal nodes: light enough for any laptop.</summary>
    private static readonly string[] Topology =
    [
        "--topology-nodes", "controller:1,compute:2", "--topology-network", "3_nets", "--prefix", Workspace,
        "-e", "override.controller.memory=1024", "-e", "override.controller.cpu=1", "-e", "override.controller.disks.disk1.size=10G",
        "-e", "override.compute.memory=1024", "-e", "override.compute.cpu=1", "-e", "override.compute.disks.disk1.size=10G",
    ];

    protected override async Task<int> ExecuteAsync(CommandContext context, CancellationToken cancellationToken)
    {
        var output = context.Output;
        var (exitCode, stdout) = await output.StatusAsync("starting the sandbox hypervisor",
            update => Services.Sandbox.RunAsync("up", [], line => { update(line); output.Detail(line); }, cancellationToken));
        if (exitCode != 0)
            throw new VMetalException(FailureKind.OperationFailed, "sandbox up failed (run with -v for its log)");
        var sandbox = SandboxEnvironment.Parse(stdout);
        output.Success($"sandbox hypervisor is up: {sandbox.Host} (in network namespace {sandbox.NetworkNamespace})");

        // The ordinary commands, so the demo shows exactly what a user runs.
        string[] common = ["--workspace", Workspace, .. Passthrough(context)];
        var up = await VMetalCli.RunAsync(["up", .. Topology, .. common], Services, cancellationToken: cancellationToken);
        if (up != ExitCodes.Success)
            return up;
        var status = await VMetalCli.RunAsync(["status", .. common], Services, cancellationToken: cancellationToken);
        if (status != ExitCodes.Success || output.Format == OutputFormat.Json)
            return status;

        var directory = context.Get(GlobalOptions.WorkspaceDir) ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".vmetal", "workspaces", Workspace);
        output.Info("");
        output.Info($"Outputs in {directory}: hosts (Ansible inventory), ssh.config, nodes.json, instackenv.json, state.json.");
        if (FirstBmc(Path.Combine(directory, "instackenv.json")) is { } bmc)
        {
            output.Info("Power a node on through its BMC, as Ironic would (the BMCs listen inside the sandbox):");
            output.Info($"  sudo ip netns exec {sandbox.NetworkNamespace} ipmitool -I lanplus -H {bmc.Address} -p {bmc.Port} -U {bmc.User} -P {bmc.Password} power on");
            output.Info($"and watch it PXE-boot on its serial console (Ctrl+] leaves; 'sol activate' instead of 'power on' shows the same through the BMC):");
            output.Info($"  ./vmetal console --workspace {Workspace} {bmc.Name}");
        }
        output.Info($"Then: ./vmetal status --workspace {Workspace}   ./vmetal down --workspace {Workspace}   ./vmetal sandbox down");
        return ExitCodes.Success;
    }

    /// <summary>--output and -v apply to the commands the demo runs, too.</summary>
    private static IEnumerable<string> Passthrough(CommandContext context)
    {
        if (context.Output.Format == OutputFormat.Json)
            yield return "--output=json";
        if (context.Output.Verbose)
            yield return "-v";
        if (context.Get(GlobalOptions.WorkspaceDir) is { Length: > 0 } directory)
        {
            yield return "--workspace-dir";
            yield return directory;
        }
    }

    private static (string Name, string Address, string Port, string User, string Password)? FirstBmc(string instackenv)
    {
        if (!File.Exists(instackenv))
            return null;
        using var document = JsonDocument.Parse(File.ReadAllText(instackenv));
        foreach (var node in document.RootElement.GetProperty("nodes").EnumerateArray())
        {
            if (node.TryGetProperty("pm_addr", out var address))
                return (node.GetProperty("name").GetString()!, address.GetString()!, node.GetProperty("pm_port").GetString()!, node.GetProperty("pm_user").GetString()!, node.GetProperty("pm_password").GetString()!);
        }
        return null;
    }
}
