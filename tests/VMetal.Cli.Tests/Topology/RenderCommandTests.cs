using System.Text.Json;
using VMetal.Testing;

namespace VMetal.Cli.Tests.Topology;

public sealed class RenderCommandTests
{
    private static readonly string[] Reference = ["render", "--topology-nodes", "undercloud:1,controller:3,compute:2"];

    [Fact]
    public async Task Text_output_shows_nodes_networks_and_totals()
    {
        var result = await CliRunner.RunAsync(Reference);

        Assert.Equal(ExitCodes.Success, result.ExitCode);
        foreach (var name in new[] { "undercloud-0", "controller-0", "controller-1", "controller-2", "compute-0", "compute-1", "management", "external", "data" })
            Assert.Contains(name, result.Stdout, StringComparison.Ordinal);
        Assert.Contains("totals: 6 nodes, 40 vCPUs, 139264 MiB RAM (136G), 422G virtual disk (thin)", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Json_output_is_the_model_with_totals()
    {
        var result = await CliRunner.RunAsync([.. Reference, "--output", "json", "--prefix", "ci"]);

        Assert.Equal(ExitCodes.Success, result.ExitCode);
        var topology = JsonDocument.Parse(result.Stdout).RootElement.GetProperty("topology");
        Assert.Equal(40, topology.GetProperty("totalVCpus").GetInt32());
        Assert.Equal(139264, topology.GetProperty("totalMemoryMiB").GetInt64());
        Assert.Equal(422L << 30, topology.GetProperty("totalDiskBytes").GetInt64());
        Assert.Equal(
            ["ci-undercloud-0", "ci-controller-0", "ci-controller-1", "ci-controller-2", "ci-compute-0", "ci-compute-1"],
            topology.GetProperty("nodes").EnumerateArray().Select(node => node.GetProperty("name").GetString()));
        Assert.Equal(
            ["ci-data", "ci-management", "ci-external"],
            topology.GetProperty("networks").EnumerateArray().Select(network => network.GetProperty("name").GetString()));
        var controllerNics = topology.GetProperty("nodes")[1].GetProperty("nics").EnumerateArray().ToList();
        Assert.Equal(["ci-data", "ci-management", "ci-external"], controllerNics.Select(nic => nic.GetProperty("network").GetString()));
        Assert.Equal(1, controllerNics[0].GetProperty("bootOrder").GetInt32());
    }

    [Fact]
    public async Task Xml_dir_gets_one_file_per_object_and_the_same_input_gives_the_same_bytes()
    {
        using var first = new TempDirectory();
        using var second = new TempDirectory();
        string[] options = ["--image", "/var/lib/libvirt/images/base.qcow2", "--bootmode", "uefi", "--serial-files"];

        var firstRun = await CliRunner.RunAsync([.. Reference, .. options, "--xml-dir", first.Path]);
        var secondRun = await CliRunner.RunAsync([.. Reference, .. options, "--xml-dir", second.Path]);

        Assert.Equal(ExitCodes.Success, firstRun.ExitCode);
        Assert.Equal(ExitCodes.Success, secondRun.ExitCode);
        var names = Directory.EnumerateFiles(first.Path).Select(Path.GetFileName).Order().ToList();
        Assert.Equal(
            [
                "domain-compute-0.xml", "domain-compute-1.xml", "domain-controller-0.xml", "domain-controller-1.xml", "domain-controller-2.xml",
                "domain-undercloud-0.xml", "network-data.xml", "network-external.xml", "network-management.xml", "pool-images.xml",
                "volume-compute-0-disk1.qcow2.xml", "volume-compute-1-disk1.qcow2.xml", "volume-controller-0-disk1.qcow2.xml",
                "volume-controller-1-disk1.qcow2.xml", "volume-controller-2-disk1.qcow2.xml", "volume-undercloud-0-disk1.qcow2.xml",
                "volume-undercloud-0-seed.iso.xml", // the OS node's cloud-init seed
            ],
            names);
        foreach (var name in names)
        {
            Assert.Equal(
                await File.ReadAllBytesAsync(Path.Combine(first.Path, name!), TestContext.Current.CancellationToken),
                await File.ReadAllBytesAsync(Path.Combine(second.Path, name!), TestContext.Current.CancellationToken));
        }
        Assert.Contains("wrote 17 XML files", firstRun.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Workspaces_and_prefixes_change_the_macs_in_the_xml()
    {
        static async Task<string> Domain(params string[] extra)
        {
            using var directory = new TempDirectory();
            var result = await CliRunner.RunAsync([.. Reference, .. extra, "--xml-dir", directory.Path]);
            Assert.Equal(ExitCodes.Success, result.ExitCode);
            var file = Directory.EnumerateFiles(directory.Path, "domain-*controller-0.xml").Single();
            return await File.ReadAllTextAsync(file, TestContext.Current.CancellationToken);
        }
        static IEnumerable<string> Macs(string xml) =>
            System.Xml.Linq.XDocument.Parse(xml).Descendants("mac").Select(mac => mac.Attribute("address")!.Value);

        var reference = Macs(await Domain()).ToList();
        Assert.Equal(3, reference.Count);
        Assert.Empty(reference.Intersect(Macs(await Domain("--workspace", "other"))));
        Assert.Empty(reference.Intersect(Macs(await Domain("--prefix", "ab"))));
        Assert.Equal(reference, Macs(await Domain()));
    }

    [Fact]
    public async Task Qemu_domain_type_warns_about_the_cpu_model()
    {
        var result = await CliRunner.RunAsync([.. Reference, "--domain-type", "qemu"]);

        Assert.Equal(ExitCodes.Success, result.ExitCode);
        Assert.Contains("qemu64", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Native_topology_file_renders()
    {
        using var directory = new TempDirectory();
        var file = directory.File("lab.yml");
        await File.WriteAllTextAsync(file, "vmetal-topology: 1\nnetwork: 1_net\nnodes:\n  - {type: aio, count: 1}\n", TestContext.Current.CancellationToken);

        var result = await CliRunner.RunAsync("render", "--topology-file", file, "--output", "json");

        Assert.Equal(ExitCodes.Success, result.ExitCode);
        var topology = JsonDocument.Parse(result.Stdout).RootElement.GetProperty("topology");
        Assert.Equal("aio-0", topology.GetProperty("nodes")[0].GetProperty("name").GetString());
        Assert.Equal("10.0.0.2", topology.GetProperty("networks")[0].GetProperty("ipv4").GetProperty("hosts")[0].GetProperty("address").GetString());
    }

    [Fact]
    public async Task An_unwritable_xml_dir_is_bad_input()
    {
        using var directory = new TempDirectory();
        var blocker = directory.File("file");
        await File.WriteAllTextAsync(blocker, "", TestContext.Current.CancellationToken);

        var result = await CliRunner.RunAsync([.. Reference, "--xml-dir", Path.Combine(blocker, "sub")]);

        Assert.Equal(ExitCodes.BadInput, result.ExitCode);
        Assert.Contains("--xml-dir", result.Stderr, StringComparison.Ordinal);
    }
}
