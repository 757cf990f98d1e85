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

    /// <summary>
    /// Node counts with one VM of every catalogue type that fits one lab on <paramref name="layout"/>. tripleo, cephext
    /// and compute_dvr name their VMs like undercloud, ceph and compute, so only the type named like its VMs is taken.
    /// The tiny external pools hold one or two fixed leases, so there only the bare-metal types and the undercloud go.
    /// </summary>
    public static string EveryTypeCounts(CatalogListing catalog, string layout)
    {
        var types = catalog.NodeTypes
            .OrderBy(type => type.Name != type.NodeName)
            .DistinctBy(type => type.NodeName)
            .Where(type => !layout.StartsWith("3_nets_tiny_ext_pool", StringComparison.Ordinal) || !type.DeployOs || type.Name == "undercloud")
            .OrderBy(type => type.Name, StringComparer.Ordinal);
        return string.Join(',', types.Select(type => $"{type.Name}:1"));
    }

    public static async Task<TopologyLoadResult> FailAsync(TopologyRequest request)
    {
        var result = await TopologyLoader.LoadAsync(request, TestContext.Current.CancellationToken);
        Assert.False(result.Succeeded, "expected the topology to be rejected");
        Assert.NotEmpty(result.Errors);
        return result;
    }
}
