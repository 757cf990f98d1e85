using VMetal.Hosting;
using VMetal.Outputs;
using VMetal.Testing;
using VMetal.Tests.Topology;

namespace VMetal.Tests.Outputs;

public class OutputWriterTests
{
    [Fact]
    public async Task Nodes_with_several_nics_on_one_network_get_every_output_file()
    {
        // 6_nets_3_bridges gives controllers four NICs on br-internal; state.json keyed MACs by network and threw.
        var topology = await Topologies.LoadAsync("undercloud:1,controller:1,compute:1", "6_nets_3_bridges");
        var report = new LabReport(
            "ws", topology, new HypervisorAccess(HostTarget.Parse("stack@hv"), null, null),
            topology.Nodes.Select(node => new NodeReport(node, "shut off", LabReport.FixedAddresses(topology, node), [])).ToList(),
            "/var/lib/libvirt/images", DateTimeOffset.UnixEpoch);
        using var directory = new TempDirectory();

        var written = OutputWriter.Write(new WorkspaceFiles(directory.Path), report);

        Assert.Equal(5, written.Count);
        var controller = OutputWriter.State(report)["nodes"]!.AsArray().Single(node => (string?)node!["name"] == "controller-0")!;
        var nics = topology.Nodes.Single(node => node.Name == "controller-0").Nics;
        Assert.Equal(nics.Select(nic => nic.MacAddress), controller["nics"]!.AsArray().Select(nic => (string?)nic!["mac"]));
        Assert.Equal(["br-ctlplane", "br-internal", "br-external", "management"], controller["macs"]!.AsObject().Select(pair => pair.Key));
        Assert.Equal(nics[1].MacAddress, (string?)controller["macs"]!["br-internal"]);
    }
}
