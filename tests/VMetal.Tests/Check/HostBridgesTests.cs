using VMetal.Converge;
using VMetal.Hosting;
using VMetal.Hypervisor;
using VMetal.Testing;
using VMetal.Topology;

namespace VMetal.Tests.Check;

/// <summary>A forward: bridge network's host bridge must exist before up changes anything.</summary>
public sealed class HostBridgesTests
{
    private static async Task<LabTopology> TopologyAsync(params string[] bridges)
    {
        using var directory = new TempDirectory();
        var layout = directory.File("layout.yml");
        var networks = string.Concat(bridges.Select((bridge, i) => $"  net{i + 2}:\n    name: up{i}\n    forward: bridge\n    bridge: {bridge}\n"));
        var interfaces = string.Concat(bridges.Select((_, i) => $"      - network: up{i}\n"));
        await File.WriteAllTextAsync(layout,
            $"networks:\n  net1:\n    name: data\n    ip_address: 192.168.24.254\n    netmask: 255.255.255.0\n{networks}" +
            $"nodes:\n  default:\n    interfaces:\n      - network: data\n{interfaces}", TestContext.Current.CancellationToken);
        return await ConvergeEngine.LoadTopologyAsync(new TopologyRequest { Workspace = "ws", NodeCounts = "compute:1", NetworkLayout = layout },
            null, TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task A_missing_bridge_and_a_device_that_is_no_bridge_are_named_on_a_real_host()
    {
        await using var local = new LocalHostConnection();

        // This machine's /sys/class/net, read only: lo exists and is no bridge.
        var problems = await HostBridges.ProblemsAsync(local, await TopologyAsync("nosuchbr9", "lo"), TestContext.Current.CancellationToken);

        Assert.Equal([
            "network 'up0' forwards to host bridge 'nosuchbr9', which does not exist on local",
            "network 'up1' forwards to host bridge 'lo', but lo on local is not a bridge",
        ], problems);
        Assert.Equal(FailureKind.BadInput, HostBridges.Refusal(problems).Kind);
    }

    [Fact]
    public async Task Existing_bridges_pass_and_a_lab_without_bridged_networks_asks_nothing()
    {
        var host = new AnsweringHost("ok br-ex\n");

        Assert.Empty(await HostBridges.ProblemsAsync(host, await TopologyAsync("br-ex"), TestContext.Current.CancellationToken));
        Assert.Single(host.Commands);
        Assert.Contains("br-ex", host.Commands[0], StringComparison.Ordinal);

        var plain = await ConvergeEngine.LoadTopologyAsync(new TopologyRequest { Workspace = "ws", NodeCounts = "compute:1" }, null, TestContext.Current.CancellationToken);
        Assert.Empty(await HostBridges.ProblemsAsync(host, plain, TestContext.Current.CancellationToken));
        Assert.Single(host.Commands);
    }

    /// <summary>Answers every command with the same output and records them.</summary>
    private sealed class AnsweringHost(string stdout) : IHostConnection
    {
        public List<string> Commands { get; } = [];

        public HostTarget Target { get; } = HostTarget.Parse("root@hv");

        public bool IsRoot => true;

        public Task<CommandResult> RunAsync(HostCommand command, CancellationToken cancellationToken = default)
        {
            Commands.Add(command.Text);
            return Task.FromResult(new CommandResult(0, stdout, ""));
        }

        public Task<IHostProcess> StartAsync(HostCommand command, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
