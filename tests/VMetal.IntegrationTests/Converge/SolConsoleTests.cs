using System.Text.Json;
using VMetal.Testing;
using VMetal.Testing.Bmc;

namespace VMetal.IntegrationTests.Converge;

/// <summary>
/// Serial-over-LAN of the BMC service that `up --bmc ipmi` deploys, through the real ipmitool as Ironic's
/// ipmitool-socat console runs it: the firmware of a real sandbox VM prints to its serial port, SOL carries it.
/// </summary>
public sealed class SolConsoleTests(SandboxFixture sandbox)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Sol_activate_shows_the_vms_firmware_and_sol_deactivate_from_another_session_ends_it()
    {
        var binary = VMetalBinary.Require();
        await using var lab = new TestLab(sandbox, "ol", "sol");
        await lab.RunCheckedAsync([.. lab.Args("up"), "--prefix", lab.Prefix, "--topology-nodes", "compute:1", "-e", "override.compute.memory=128",
            "-e", "override.compute.disks.disk1.size=1G", "--bmc", "ipmi", "--bmc-binary", binary]);
        var node = Node(lab);

        // Activated while the VM is off (as Ironic's console often is): the firmware's output arrives once it starts.
        await using (var console = StartSol(node))
        {
            await console.WaitForAsync("[SOL Session operational", Wait);
            await IpmiAsync(node, "power", "on");
            await console.WaitForAsync("iPXE", TimeSpan.FromSeconds(120));

            var second = await RunIpmitoolAsync(node, "sol", "activate");
            Assert.Contains("SOL payload already active on another session", second.Stderr, StringComparison.Ordinal);

            // What Ironic runs before it starts a console: frees the payload the first ipmitool holds.
            var deactivate = await RunIpmitoolAsync(node, "sol", "deactivate");
            Assert.True(deactivate.ExitCode == 0, deactivate.Output);
        }

        // Free again: a new console gets the running VM's output (iPXE retries DHCP and keeps printing), then leaves with ~.
        await using (var console = StartSol(node))
        {
            await console.WaitForAsync("[SOL Session operational", Wait);
            var before = console.Output.Length;
            await WaitUntilAsync(() => console.Output.Length > before + 20, TimeSpan.FromSeconds(120), () => console.Output);
            Assert.Equal(0, await console.QuitAsync(Wait));
        }

        var deactivated = await RunIpmitoolAsync(node, "sol", "deactivate");
        Assert.Contains("SOL payload already de-activated", deactivated.Stderr, StringComparison.Ordinal);
        await IpmiAsync(node, "power", "off");
    }

    private sealed record InstackNode(string Address, string Port, string User, string Password);

    private static InstackNode Node(TestLab lab)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(Path.Combine(lab.WorkspaceDirectory, "instackenv.json")));
        var node = document.RootElement.GetProperty("nodes").EnumerateArray().Single();
        return new InstackNode(node.GetProperty("pm_addr").GetString()!, node.GetProperty("pm_port").GetString()!,
            node.GetProperty("pm_user").GetString()!, node.GetProperty("pm_password").GetString()!);
    }

    private static string[] Connection(InstackNode node) =>
        ["-I", "lanplus", "-H", node.Address, "-p", node.Port, "-U", node.User, "-P", node.Password];

    /// <summary>ipmitool sol activate inside the sandbox's network namespace, unbuffered so its banner shows at once.</summary>
    private IpmitoolSol StartSol(InstackNode node) =>
        IpmitoolSol.Start("ip", ["netns", "exec", sandbox.Require().NetworkNamespace, "stdbuf", "-o0", "ipmitool", .. Connection(node), "sol", "activate"]);

    private Task<ProcessResult> RunIpmitoolAsync(InstackNode node, params string[] command) =>
        sandbox.RunInNetworkNamespaceAsync("ipmitool", [.. Connection(node), .. command], TimeSpan.FromSeconds(60));

    private async Task IpmiAsync(InstackNode node, params string[] command)
    {
        var result = await RunIpmitoolAsync(node, command);
        Assert.True(result.ExitCode == 0, $"ipmitool {string.Join(' ', command)}: {result.Output}");
    }

    private static async Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout, Func<string> describe)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"not in time; output so far: {describe()}");
            await Task.Delay(200);
        }
    }
}
