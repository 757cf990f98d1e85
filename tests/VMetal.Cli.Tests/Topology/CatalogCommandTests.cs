using System.Text.Json;
using VMetal.Testing;

namespace VMetal.Cli.Tests.Topology;

public sealed class CatalogCommandTests
{
    private static readonly string[] NodeTypes =
    [
        "aio", "ceph", "cephext", "cfme", "cfme_tester", "compute", "compute_dvr", "computehci", "computerhel8", "contnet",
        "controller", "database", "diskless", "freeipa", "hcicephall", "heat", "ironic", "ironicconductor", "l3appliance",
        "loadbalancer", "mds", "messaging", "monitor", "networker", "novacontrol", "odl", "openshift-infra", "openshift-master",
        "openshift-tester", "openshift-worker", "opstools", "osdcompute", "ovsvswitch", "patcher", "radosgw", "serviceapi",
        "standalone", "swift", "telemetry", "tester", "tripleo", "undercloud",
    ];

    private static readonly string[] Layouts =
        ["1_net", "3_nets", "3_nets_ipv4", "3_nets_tiny_ext_pool", "3_nets_tiny_ext_pool2", "4_nets", "4_nets_baremetal", "5_nets", "6_nets_3_bridges", "split_nets"];

    [Fact]
    public async Task Json_lists_every_required_type_and_layout_with_sizes()
    {
        var result = await CliRunner.RunAsync("catalog", "--output", "json");

        Assert.Equal(ExitCodes.Success, result.ExitCode);
        var root = JsonDocument.Parse(result.Stdout).RootElement;
        var types = root.GetProperty("nodeTypes").EnumerateArray().ToDictionary(type => type.GetProperty("name").GetString()!);
        Assert.Subset(types.Keys.ToHashSet(), NodeTypes.ToHashSet());
        Assert.Subset(root.GetProperty("layouts").EnumerateArray().Select(layout => layout.GetProperty("name").GetString()!).ToHashSet(), Layouts.ToHashSet());

        // Sizes from infrared's node files (research notes §2.2): vCPU, MiB, disks, GiB in total.
        (string Name, int Cpu, int Memory, int Disks, long Gib, bool Os)[] expected =
        [
            ("undercloud", 8, 24576, 1, 100, true), ("controller", 8, 32768, 1, 64, false), ("compute", 4, 8192, 1, 65, false),
            ("ceph", 2, 6144, 6, 46 + 5 * 47, false), ("networker", 2, 6144, 1, 40, false), ("ironic", 4, 4096, 1, 40, false),
            ("swift", 2, 4096, 1, 20, false), ("database", 4, 6144, 1, 50, false), ("messaging", 4, 6144, 1, 40, false),
            ("telemetry", 4, 6144, 1, 50, false), ("tester", 8, 8192, 1, 30, true), ("aio", 8, 16384, 1, 64, true),
            ("standalone", 4, 32768, 1, 55, true), ("diskless", 8, 32768, 0, 0, false),
            ("tripleo", 4, 16384, 1, 40, true), ("freeipa", 8, 4096, 1, 40, true), ("cephext", 4, 16384, 6, 11 + 5 * 12, true),
            ("computehci", 8, 32768, 6, 31 + 5 * 32, false), ("openshift-worker", 4, 8192, 4, 15 + 3 * 16, true),
            ("cfme", 2, 10240, 2, 80, true), ("serviceapi", 8, 16384, 1, 40, true), ("odl", 1, 2048, 1, 20, true),
        ];
        foreach (var (name, cpu, memory, disks, gib, os) in expected)
        {
            var type = types[name];
            Assert.Equal((cpu, memory, disks, gib << 30, os), (
                type.GetProperty("vCpus").GetInt32(), type.GetProperty("memoryMiB").GetInt32(), type.GetProperty("diskCount").GetInt32(),
                type.GetProperty("diskBytes").GetInt64(), type.GetProperty("deployOs").GetBoolean()));
            Assert.Equal("built-in", type.GetProperty("source").GetString());
        }
        Assert.Equal(NodeTypes, types.Keys);
        Assert.Equal("undercloud", types["tripleo"].GetProperty("nodeName").GetString());

        // infrared's other names are listed with the reason vmetal refuses them.
        var refused = root.GetProperty("unsupported").EnumerateArray().ToDictionary(entry => entry.GetProperty("name").GetString()!);
        Assert.Equal(13 + 13, refused.Count);
        Assert.Equal("node type", refused["veos"].GetProperty("kind").GetString());
        Assert.Contains("network_cli", refused["veos"].GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Equal("network layout", refused["4_nets_multi_hypervisor"].GetProperty("kind").GetString());
        Assert.Contains("enp94s0f0", refused["4_nets_multi_hypervisor"].GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Equal("use 'compute' on a flat layout such as 3_nets", refused["computebgp"].GetProperty("instead").GetString());
    }

    [Fact]
    public async Task Text_lists_types_and_layouts_and_user_files_shadow_built_ins()
    {
        using var directory = new TempDirectory();
        Directory.CreateDirectory(Path.Combine(directory.Path, "nodes"));
        await File.WriteAllTextAsync(Path.Combine(directory.Path, "nodes", "compute.yml"),
            "name: compute\ncpu: 3\nmemory: 3072\ndeploy_os: false\ndisks: {disk1: {size: 3G}}\n", TestContext.Current.CancellationToken);

        var text = await CliRunner.RunAsync("catalog", "--topology-dir", directory.Path);
        var json = await CliRunner.RunAsync("catalog", "--topology-dir", directory.Path, "--output", "json");

        Assert.Equal(ExitCodes.Success, text.ExitCode);
        foreach (var name in NodeTypes.Concat(Layouts).Concat(["infrared names vmetal refuses", "vqfx-pfe", "bgp_networks_ipv6", "undercloud-N"]))
            Assert.Contains(name, text.Stdout, StringComparison.Ordinal);
        var compute = JsonDocument.Parse(json.Stdout).RootElement.GetProperty("nodeTypes").EnumerateArray()
            .Single(type => type.GetProperty("name").GetString() == "compute");
        Assert.Equal(3, compute.GetProperty("vCpus").GetInt32());
        Assert.EndsWith("compute.yml", compute.GetProperty("source").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_broken_user_file_is_reported_with_its_location()
    {
        using var directory = new TempDirectory();
        Directory.CreateDirectory(Path.Combine(directory.Path, "network"));
        await File.WriteAllTextAsync(Path.Combine(directory.Path, "network", "mine.yml"), "networks:\n  net1:\n    nam: x\n", TestContext.Current.CancellationToken);

        var result = await CliRunner.RunAsync("catalog", "--topology-dir", directory.Path, "--output", "json");

        Assert.Equal(ExitCodes.BadInput, result.ExitCode);
        var errors = JsonDocument.Parse(result.Stdout).RootElement.GetProperty("errors").EnumerateArray().ToList();
        Assert.Contains(errors, error => error.GetProperty("line").GetInt32() == 3 && error.GetProperty("column").GetInt32() == 5
            && error.GetProperty("message").GetString()!.StartsWith("unknown field 'nam'", StringComparison.Ordinal));
    }
}
