using System.Text.Json;
using VMetal.Testing;

namespace VMetal.IntegrationTests.Converge;

/// <summary>
/// `up --bmc both` installs vmetal's BMC service on the sandbox; Ironic's clients (ipmitool,
/// sushy) drive the lab's VMs through the endpoints written to instackenv.json.
/// </summary>
public sealed class BmcDeploymentTests(SandboxFixture sandbox)
{
    [Fact]
    public async Task Up_deploys_bmcs_that_ipmitool_and_sushy_use_to_power_the_real_domains()
    {
        var binary = VMetalBinary.Require();
        await using var lab = new TestLab(sandbox, "bmc");
        string[] up = [.. lab.Args("up"), "--prefix", lab.Prefix, .. TestLab.SmallTopology, "--bmc", "both", "--bmc-binary", binary];

        await lab.RunCheckedAsync(up);
        var node = Instack(lab).Single(n => n.Name == $"{lab.Prefix}-compute-0");
        Assert.Equal("ipmi", node.Type);
        Assert.StartsWith("172.16.", node.Address, StringComparison.Ordinal);

        Assert.Contains("Chassis Power is off", await IpmiAsync(node, "power", "status"));
        Assert.Contains("Up/On", await IpmiAsync(node, "power", "on"));
        await WaitForStateAsync(node.Name, "running");
        Assert.Contains("Chassis Power is on", await IpmiAsync(node, "power", "status"));
        var redfish = await SushyPowerStateAsync(lab, node);
        Assert.Equal("On", redfish);
        await IpmiAsync(node, "power", "off");
        await WaitForStateAsync(node.Name, "shut off");

        // A re-run keeps ports and credentials and restarts nothing.
        var again = await lab.RunCheckedAsync([.. up, "-o", "json"]);
        using (var result = JsonDocument.Parse(again.Stdout))
        {
            Assert.All(result.RootElement.GetProperty("bmc").GetProperty("steps").EnumerateArray(),
                step => Assert.Equal("unchanged", step.GetProperty("status").GetString()));
            // The endpoints as fields a script reads, the same as instackenv.json's.
            var endpoint = result.RootElement.GetProperty("bmc").GetProperty("nodes").EnumerateArray().Single(n => n.GetProperty("name").GetString() == node.Name);
            Assert.Equal((node.Address, node.Port, node.User),
                (endpoint.GetProperty("ipmiAddress").GetString(), endpoint.GetProperty("ipmiPort").GetInt32().ToString(System.Globalization.CultureInfo.InvariantCulture),
                 endpoint.GetProperty("username").GetString()));
        }
        Assert.Equal(node, Instack(lab).Single(n => n.Name == node.Name));

        var wrong = await sandbox.RunInNetworkNamespaceAsync("ipmitool",
            ["-I", "lanplus", "-H", node.Address, "-p", node.Port, "-U", node.User, "-P", "not-the-password", "power", "status"]);
        Assert.NotEqual(0, wrong.ExitCode);

        var certificate = $"/var/lib/vmetal/bmc/tls/{lab.Workspace}.pfx";
        Assert.Equal(0, (await sandbox.RunAsync($"test -s {certificate}", sudo: true)).ExitCode);
        var down = await lab.RunCheckedAsync([.. lab.Args("down"), "-o", "json"]);
        using (var result = JsonDocument.Parse(down.Stdout))
            Assert.Contains(result.RootElement.GetProperty("bmc").GetProperty("steps").EnumerateArray(),
                step => step.GetProperty("name").GetString() == "bmc-config" && step.GetProperty("status").GetString() == "changed");
        Assert.NotEqual(0, (await sandbox.RunAsync($"test -e {certificate}", sudo: true)).ExitCode);
        var gone = await sandbox.RunInNetworkNamespaceAsync("ipmitool",
            ["-I", "lanplus", "-H", node.Address, "-p", node.Port, "-U", node.User, "-P", node.Password, "-R", "1", "-N", "2", "power", "status"]);
        Assert.NotEqual(0, gone.ExitCode);
        Assert.Equal(string.Empty, (await sandbox.RunAsync($"ls /etc/vmetal/bmc/{lab.Workspace}.json 2>/dev/null", sudo: true)).Stdout);
    }

    [Fact]
    public async Task Remove_nodes_takes_the_node_out_of_the_bmc_service_and_status_shows_the_remaining_endpoints()
    {
        var binary = VMetalBinary.Require();
        await using var lab = new TestLab(sandbox, "bmcrm");
        await lab.RunCheckedAsync([.. lab.Args("up"), "--prefix", lab.Prefix, "--topology-nodes", "compute:2", "-e", "override.compute.memory=128",
            "-e", "override.compute.disks.disk1.size=1G", "--bmc", "ipmi", "--bmc-binary", binary]);
        var kept = Instack(lab).Single(n => n.Name == $"{lab.Prefix}-compute-0");
        var removed = Instack(lab).Single(n => n.Name == $"{lab.Prefix}-compute-1");
        Assert.Contains("Chassis Power is off", await IpmiAsync(removed, "power", "status"));

        var removal = await lab.RunCheckedAsync([.. lab.Args("remove-nodes"), removed.Name, "-o", "json"]);
        using (var result = JsonDocument.Parse(removal.Stdout))
            Assert.Contains(result.RootElement.GetProperty("bmc").GetProperty("steps").EnumerateArray(),
                step => step.GetProperty("name").GetString() == "bmc-config" && step.GetProperty("status").GetString() == "changed");
        var config = (await sandbox.RunAsync($"cat /etc/vmetal/bmc/{lab.Workspace}.json", sudo: true)).Stdout;
        Assert.Contains(kept.Name, config, StringComparison.Ordinal);
        Assert.DoesNotContain(removed.Name, config, StringComparison.Ordinal);
        var gone = await sandbox.RunInNetworkNamespaceAsync("ipmitool",
            ["-I", "lanplus", "-H", removed.Address, "-p", removed.Port, "-U", removed.User, "-P", removed.Password, "-R", "1", "-N", "2", "power", "status"]);
        Assert.NotEqual(0, gone.ExitCode);
        Assert.Contains("Chassis Power is off", await IpmiAsync(kept, "power", "status"));

        // status shows where each node's BMC answers (the password stays in the workspace files).
        var status = await lab.RunCheckedAsync([.. lab.Args("status"), "-o", "json"]);
        using var document = JsonDocument.Parse(status.Stdout);
        var bmc = document.RootElement.GetProperty("nodes").EnumerateArray().Single().GetProperty("bmc");
        Assert.Equal((kept.Address, kept.Port), (bmc.GetProperty("ipmiAddress").GetString(), bmc.GetProperty("ipmiPort").GetInt32().ToString(System.Globalization.CultureInfo.InvariantCulture)));
        Assert.True(document.RootElement.GetProperty("bmc").GetProperty("serviceRunning").GetBoolean());
        Assert.DoesNotContain(kept.Password, status.Stdout, StringComparison.Ordinal);
    }

    private sealed record InstackNode(string Name, string Type, string Address, string Port, string User, string Password);

    private static List<InstackNode> Instack(TestLab lab)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(Path.Combine(lab.WorkspaceDirectory, "instackenv.json")));
        return document.RootElement.GetProperty("nodes").EnumerateArray().Select(n => new InstackNode(
            n.GetProperty("name").GetString()!, n.GetProperty("pm_type").GetString()!, n.GetProperty("pm_addr").GetString()!,
            n.GetProperty("pm_port").GetString()!, n.GetProperty("pm_user").GetString()!, n.GetProperty("pm_password").GetString()!)).ToList();
    }

    private async Task<string> IpmiAsync(InstackNode node, params string[] command)
    {
        var result = await sandbox.RunInNetworkNamespaceAsync("ipmitool",
            ["-I", "lanplus", "-H", node.Address, "-p", node.Port, "-U", node.User, "-P", node.Password, .. command]);
        Assert.True(result.ExitCode == 0, $"ipmitool {string.Join(' ', command)}: {result.Output}");
        return result.Stdout;
    }

    /// <summary>Ironic's own Redfish library, from Debian's python3-sushy.</summary>
    private async Task<string> SushyPowerStateAsync(TestLab lab, InstackNode node)
    {
        using var nodes = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(lab.WorkspaceDirectory, "nodes.json")));
        var driverInfo = nodes.RootElement.GetProperty("nodes").EnumerateArray()
            .Single(n => n.GetProperty("name").GetString() == node.Name).GetProperty("extra").GetProperty("bmc").EnumerateArray()
            .Single(b => b.TryGetProperty("redfish_address", out _));
        var script = """
            import sys, warnings, sushy
            warnings.filterwarnings("ignore")
            root = sushy.Sushy(sys.argv[1] + "/redfish/v1", username=sys.argv[3], password=sys.argv[4], verify=False)
            print(root.get_system(sys.argv[2]).power_state.value)
            """;
        // requests lets REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE (set on this machine) override verify=False.
        var result = await sandbox.RunInNetworkNamespaceAsync("env",
            ["-u", "REQUESTS_CA_BUNDLE", "-u", "CURL_CA_BUNDLE", "/usr/bin/python3", "-c", script, driverInfo.GetProperty("redfish_address").GetString()!, driverInfo.GetProperty("redfish_system_id").GetString()!,
             node.User, node.Password]);
        Assert.True(result.ExitCode == 0, result.Output);
        return result.Stdout.Trim();
    }

    private async Task WaitForStateAsync(string domain, string state)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while ((await sandbox.VirshAsync("domstate", domain)).Trim() != state)
        {
            Assert.True(DateTime.UtcNow < deadline, $"{domain} did not become {state}");
            await Task.Delay(500);
        }
    }
}
