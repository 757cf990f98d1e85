using VMetal.Topology;

namespace VMetal.Tests.Topology;

/// <summary>Loads topologies for tests and fails with the loader's own messages.</summary>
internal static class Topologies
{
    public const string Reference = "undercloud:1,controller:3,compute:2";

    /// <summary>infrared's sample files, optional extra input (VMETAL_TOPOLOGY_SAMPLES overrides the path).</summary>
    public static string SamplesDirectory =>
        Environment.GetEnvironmentVariable("VMETAL_TOPOLOGY_SAMPLES") ?? "/work/shared/topology-samples";

    public static async Task<LabTopology> LoadAsync(TopologyRequest request)
    {
        var result = await TopologyLoader.LoadAsync(request, TestContext.Current.CancellationToken);
        Assert.True(result.Succeeded, "expected the topology to load:\n" + string.Join("\n", result.Errors));
        return result.Topology!;
    }

    public static Task<LabTopology> LoadAsync(string nodeCounts = Reference, string layout = TopologyRequest.DefaultLayout) =>
        LoadAsync(new TopologyRequest { NodeCounts = nodeCounts, NetworkLayout = layout });

    public static async Task<TopologyLoadResult> FailAsync(TopologyRequest request)
    {
        var result = await TopologyLoader.LoadAsync(request, TestContext.Current.CancellationToken);
        Assert.False(result.Succeeded, "expected the topology to be rejected");
        Assert.NotEmpty(result.Errors);
        return result;
    }
}
