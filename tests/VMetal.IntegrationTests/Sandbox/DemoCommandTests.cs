using VMetal.Testing;

namespace VMetal.IntegrationTests.Sandbox;

/// <summary>`vmetal demo`, the README's first command: the lab it provisions, and the commands it tells a newcomer to run.</summary>
public sealed class DemoCommandTests(SandboxFixture sandbox)
{
    [Fact]
    public async Task Demo_provisions_its_lab_and_the_ipmitool_command_it_prints_powers_a_node_on()
    {
        // The demo's BMCs run the self-contained binary; up finds it through VMETAL_BMC_BINARY (./run-tests sets it).
        var binary = VMetalBinary.Require();
        Assert.SkipWhen(Environment.GetEnvironmentVariable("VMETAL_BMC_BINARY") != binary, $"set VMETAL_BMC_BINARY={binary} to run the demo in process");
        using var directory = new TempDirectory();
        try
        {
            var demo = await CliRunner.RunAsync("demo", "--workspace-dir", directory.Path);
            Assert.True(demo.ExitCode == 0, demo.Stderr);
            foreach (var node in new[] { "demo-controller-0", "demo-compute-0", "demo-compute-1" })
            {
                Assert.Contains(node, demo.Stdout, StringComparison.Ordinal);
                Assert.Equal("shut off", (await sandbox.VirshAsync("domstate", node)).Trim());
            }

            // The printed command as a newcomer pastes it (as root here: without its sudo).
            var printed = demo.Stdout.Split('\n').Select(line => line.Trim()).Single(line => line.StartsWith("sudo ip netns exec", StringComparison.Ordinal));
            var words = printed.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var powerOn = await ProcessRunner.RunAsync(words[1], words[2..]);
            Assert.True(powerOn.ExitCode == 0, powerOn.Output);
            Assert.Contains("Chassis Power Control: Up/On", powerOn.Stdout, StringComparison.Ordinal);
            // The node behind that port, as instackenv.json (what Ironic is given) says.
            var port = words[Array.IndexOf(words, "-p") + 1];
            using var instackenv = System.Text.Json.JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(directory.Path, "instackenv.json"),
                TestContext.Current.CancellationToken));
            var node0 = instackenv.RootElement.GetProperty("nodes").EnumerateArray()
                .Single(n => n.GetProperty("pm_port").GetString() == port).GetProperty("name").GetString()!;
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
            while ((await sandbox.VirshAsync("domstate", node0)).Trim() != "running")
            {
                Assert.True(DateTime.UtcNow < deadline, $"{node0} did not start");
                await Task.Delay(500, TestContext.Current.CancellationToken);
            }
            Assert.Contains($"./vmetal console --workspace demo {node0}", demo.Stdout, StringComparison.Ordinal);
        }
        finally
        {
            await CliRunner.RunAsync("down", "--workspace", "demo", "--workspace-dir", directory.Path);
        }
    }
}
