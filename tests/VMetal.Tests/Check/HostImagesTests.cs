using VMetal.Converge;
using VMetal.Hosting;
using VMetal.Hypervisor;
using VMetal.Topology;

namespace VMetal.Tests.Check;

/// <summary>An --image path must exist on the host before up changes anything: libvirt only fails at the disk, after the networks were created.</summary>
public sealed class HostImagesTests
{
    private static Task<LabTopology> TopologyAsync(string image) => ConvergeEngine.LoadTopologyAsync(
        new TopologyRequest { Workspace = "ws", NodeCounts = "undercloud:1,compute:1", BaseImage = image }, null, TestContext.Current.CancellationToken);

    private static Plan Creating(LabTopology topology) => new(
        [.. topology.Nodes.SelectMany(node => node.Disks).Select(disk => new PlannedChange(ResourceKind.Volume, disk.VolumeName, ChangeAction.Create, "new disk"))], []);

    [Fact]
    public async Task A_missing_image_is_named_on_a_real_host()
    {
        await using var local = new LocalHostConnection();
        var topology = await TopologyAsync("/nonexistent/base.qcow2");

        var problems = await HostImages.ProblemsAsync(local, topology, Creating(topology), TestContext.Current.CancellationToken);

        Assert.Equal(["--image /nonexistent/base.qcow2 (the base image of undercloud-0-disk1.qcow2) is not a readable file on local"], problems);
        Assert.Equal(FailureKind.BadInput, HostImages.Refusal(problems).Kind);
    }

    [Fact]
    public async Task An_existing_image_passes_and_disks_that_exist_ask_nothing()
    {
        await using var local = new LocalHostConnection();
        var existing = typeof(HostImagesTests).Assembly.Location;
        var topology = await TopologyAsync(existing);

        Assert.Empty(await HostImages.ProblemsAsync(local, topology, Creating(topology), TestContext.Current.CancellationToken));
        var missing = await TopologyAsync("/nonexistent/base.qcow2");
        Assert.Empty(await HostImages.ProblemsAsync(local, missing, new Plan([], []), TestContext.Current.CancellationToken));
    }
}
