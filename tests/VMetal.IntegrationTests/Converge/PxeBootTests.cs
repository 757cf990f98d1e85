using System.Diagnostics;
using System.Text.Json;
using VMetal.Testing;

namespace VMetal.IntegrationTests.Converge;

/// <summary>
/// Bare-metal nodes boot from the network like real servers: `up --start` on 3_nets and every
/// node's provisioning NIC sends DHCP requests on the data (ctlplane) network.
/// </summary>
public sealed class PxeBootTests(SandboxFixture sandbox)
{
    [Fact(Timeout = 15 * 60 * 1000)]
    public async Task With_start_every_node_pxe_boots_on_its_provisioning_network()
    {
        await using var lab = new TestLab(sandbox, "pxe");
        using var logs = new TempDirectory();
        var topology = new[]
        {
            "--topology-nodes", "controller:3,compute:2", "--topology-network", "3_nets",
            "-e", "override.controller.memory=256", "-e", "override.compute.memory=256",
            "-e", "override.controller.disks.disk1.size=1G", "-e", "override.compute.disks.disk1.size=1G",
        };
        await lab.RunCheckedAsync([.. lab.Args("plan"), "--prefix", lab.Prefix, .. topology]);
        // 3_nets has no DHCP on the data network: on a real lab the undercloud's Ironic serves
        // it. This test plays that role with a passive dnsmasq that only logs what arrives.
        var upTask = lab.RunAsync([.. lab.UpArgs(topology), "--start"]);
        Process? listener = null;
        try
        {
            listener = await StartDhcpListenerAsync(lab, logs.File("dhcp.log"));
            var up = await upTask;
            Assert.True(up.ExitCode == 0, up.Output);

            using var state = lab.State();
            var nodes = state.RootElement.GetProperty("nodes").EnumerateArray().ToList();
            Assert.Equal(5, nodes.Count);
            Assert.All(nodes, node => Assert.Equal("running", node.GetProperty("state").GetString()));
            var provisioningMacs = nodes.ToDictionary(n => n.GetProperty("name").GetString()!,
                n => n.GetProperty("macs").GetProperty($"{lab.Prefix}-data").GetString()!.ToLowerInvariant());
            Assert.Equal(5, (await sandbox.VirshAsync("-q", "list", "--name")).Split('\n').Count(n => n.StartsWith(lab.Prefix, StringComparison.Ordinal)));

            var deadline = Stopwatch.StartNew();
            HashSet<string> seen = [];
            while (deadline.Elapsed < TimeSpan.FromMinutes(4))
            {
                var log = File.Exists(logs.File("dhcp.log")) ? (await File.ReadAllTextAsync(logs.File("dhcp.log"))).ToLowerInvariant() : "";
                var discoveries = log.Split('\n').Where(line => line.Contains("dhcpdiscover", StringComparison.Ordinal)).ToList();
                seen = provisioningMacs.Where(pair => discoveries.Any(line => line.Contains(pair.Value, StringComparison.Ordinal)))
                    .Select(pair => pair.Key).ToHashSet();
                if (seen.Count == provisioningMacs.Count)
                    break;
                await Task.Delay(2000, TestContext.Current.CancellationToken);
            }
            Assert.True(seen.Count == provisioningMacs.Count,
                $"PXE DHCP requests seen from {string.Join(", ", seen)}; missing {string.Join(", ", provisioningMacs.Keys.Except(seen))}");
        }
        finally
        {
            if (listener is { HasExited: false })
            {
                listener.Kill();
                await listener.WaitForExitAsync();
            }
            listener?.Dispose();
            if (!upTask.IsCompleted)
                await upTask;
        }
    }

    /// <summary>
    /// Waits for the lab's data bridge to appear, then runs dnsmasq on it inside the sandbox's
    /// network namespace: no DNS, a "static" DHCP range (it answers nobody) and every request logged.
    /// </summary>
    private async Task<Process> StartDhcpListenerAsync(TestLab lab, string logFile)
    {
        var environment = sandbox.Require();
        var network = $"{lab.Prefix}-data";
        string? bridge = null;
        string? subnet = null;
        var deadline = Stopwatch.StartNew();
        while (bridge is null && deadline.Elapsed < TimeSpan.FromMinutes(10))
        {
            var xml = await sandbox.VirshResultAsync("net-dumpxml", network);
            var active = await sandbox.VirshResultAsync("net-info", network);
            if (xml.Succeeded && active.Stdout.Contains("Active:         yes", StringComparison.Ordinal))
            {
                var document = System.Xml.Linq.XDocument.Parse(xml.Stdout);
                bridge = (string?)document.Root!.Element("bridge")!.Attribute("name");
                var address = (string)document.Root!.Element("ip")!.Attribute("address")!;
                subnet = address[..address.LastIndexOf('.')] + ".0";
            }
            else
            {
                await Task.Delay(100);
            }
        }
        Assert.NotNull(bridge);
        var startInfo = new ProcessStartInfo("ip")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[]
                 {
                     "netns", "exec", environment.NetworkNamespace, "dnsmasq", "--no-daemon", "--port=0", "--user=root",
                     $"--interface={bridge}", "--bind-interfaces", "--except-interface=lo", $"--dhcp-range={subnet},static",
                     "--log-dhcp", $"--log-facility={logFile}", "--no-resolv", "--no-hosts", "--dhcp-leasefile=/dev/null",
                     "--conf-file=/dev/null", $"--pid-file={logFile}.pid",
                 })
            startInfo.ArgumentList.Add(argument);
        var process = Process.Start(startInfo)!;
        await Task.Delay(500);
        // Only read stderr of a dnsmasq that died: the stream of a live one never ends.
        if (process.HasExited)
            Assert.Fail($"dnsmasq exited {process.ExitCode}: {await process.StandardError.ReadToEndAsync()}");
        return process;
    }
}
