using VMetal.Topology;

namespace VMetal.Tests.Topology;

/// <summary>infrared's own node and layout files load unchanged (optional input: skipped when the samples are absent).</summary>
public class SampleFileTests
{
    public static TheoryData<string> NodeFiles => Files("nodes");

    public static TheoryData<string> LayoutFiles => Files("network");

    [Theory]
    [MemberData(nameof(NodeFiles))]
    public async Task Sample_node_file_loads(string name)
    {
        SkipWithoutSamples();
        var topology = await Topologies.LoadAsync(new TopologyRequest
        {
            NodeCounts = $"{name}:2",
            TopologyDirectory = Topologies.SamplesDirectory,
        });

        Assert.Equal([$"{name}-0", $"{name}-1"], topology.Nodes.Select(node => node.Name));
        Assert.All(topology.Nodes, node => Assert.NotEmpty(node.Nics));
    }

    [Theory]
    [MemberData(nameof(LayoutFiles))]
    public async Task Sample_layout_file_loads(string name)
    {
        SkipWithoutSamples();
        var topology = await Topologies.LoadAsync(new TopologyRequest
        {
            NodeCounts = Topologies.Reference,
            NetworkLayout = name,
            TopologyDirectory = Topologies.SamplesDirectory,
        });

        Assert.Equal(6, topology.Nodes.Count);
        Assert.NotEmpty(topology.Networks);
    }

    [Fact]
    public async Task Sample_files_match_the_catalogue_sizes()
    {
        SkipWithoutSamples();
        var samples = await Topologies.LoadAsync(new TopologyRequest { NodeCounts = Topologies.Reference, TopologyDirectory = Topologies.SamplesDirectory });
        var builtIn = await Topologies.LoadAsync();

        Assert.Equal(builtIn.TotalVCpus, samples.TotalVCpus);
        Assert.Equal(builtIn.TotalMemoryMiB, samples.TotalMemoryMiB);
        Assert.Equal(builtIn.TotalDiskBytes, samples.TotalDiskBytes);
        Assert.Equal(
            builtIn.Nodes.Select(node => (node.Name, Networks: string.Join(',', node.Nics.Select(nic => nic.Network)))),
            samples.Nodes.Select(node => (node.Name, Networks: string.Join(',', node.Nics.Select(nic => nic.Network)))));
    }

    private static void SkipWithoutSamples() =>
        Assert.SkipUnless(Directory.Exists(Topologies.SamplesDirectory), $"no sample files in {Topologies.SamplesDirectory}");

    private static TheoryData<string> Files(string folder)
    {
        var directory = Path.Combine(Topologies.SamplesDirectory, folder);
        var names = Directory.Exists(directory)
            ? Directory.EnumerateFiles(directory, "*.yml").Select(path => Path.GetFileNameWithoutExtension(path)).Order().ToList()
            : [];
        // A theory needs at least one row; the row skips itself when the samples are absent.
        return names.Count == 0 ? new TheoryData<string>("(none)") : new TheoryData<string>(names);
    }
}
