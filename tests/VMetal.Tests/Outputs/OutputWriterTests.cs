using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using VMetal.Converge;
using VMetal.Hosting;
using VMetal.Outputs;
using VMetal.Testing;
using VMetal.Tests.Topology;
using VMetal.Topology;

namespace VMetal.Tests.Outputs;

/// <summary>The workspace's outputs only send ssh and Ansible to key files that exist.</summary>
public sealed partial class OutputWriterTests
{
    private static async Task<LabReport> ReportAsync(string nodes)
    {
        var topology = await ConvergeEngine.LoadTopologyAsync(new TopologyRequest { Workspace = "ws", NodeCounts = nodes }, null, CancellationToken.None);
        return new LabReport("ws", topology, new HypervisorAccess(HostTarget.Parse("stack@hv"), "/keys/hv", null),
            [.. topology.Nodes.Select(node => new NodeReport(node, "shut off", LabReport.FixedAddresses(topology, node), []))],
            "/var/lib/libvirt/images", DateTimeOffset.UnixEpoch);
    }

    /// <summary>Every key of a document, except those of maps keyed by data (network names).</summary>
    private static IEnumerable<string> Keys(JsonNode? node, params string[] dataMaps) => node switch
    {
        JsonObject obj => obj.SelectMany(pair => dataMaps.Contains(pair.Key) ? [pair.Key] : Keys(pair.Value, dataMaps).Prepend(pair.Key)),
        JsonArray array => array.SelectMany(item => Keys(item, dataMaps)),
        _ => [],
    };

    [GeneratedRegex("^[a-z][a-zA-Z0-9]*$")]
    private static partial Regex CamelCase();

    [GeneratedRegex("^[a-z][a-z0-9_]*$")]
    private static partial Regex SnakeCase();

    [Fact]
    public async Task State_json_is_camel_case_like_vmetals_other_documents_and_the_ironic_files_keep_ironics_names()
    {
        using var directory = new TempDirectory();
        var files = new WorkspaceFiles(directory.Path);
        var report = await ReportAsync("compute:1,undercloud:1");
        var bmc = new NodeBmc("redfish", "172.16.0.1", 8000, "admin", "pw", "system-1");
        report = report with { Nodes = [.. report.Nodes.Select(n => n with { Bmcs = [bmc] })] };

        OutputWriter.Write(files, report);

        var state = JsonNode.Parse(await File.ReadAllTextAsync(files.State, TestContext.Current.CancellationToken));
        Assert.All(Keys(state, "macs", "addresses"), key => Assert.Matches(CamelCase(), key));
        Assert.Contains("memoryMiB", Keys(state));
        Assert.Contains("redfishSystemId", Keys(state));
        foreach (var ironic in new[] { files.Nodes, files.InstackEnv })
        {
            var document = JsonNode.Parse(await File.ReadAllTextAsync(ironic, TestContext.Current.CancellationToken));
            Assert.All(Keys(document, "addresses"), key => Assert.Matches(SnakeCase(), key));
        }
        Assert.Contains("memory_mb", Keys(JsonNode.Parse(await File.ReadAllTextAsync(files.Nodes, TestContext.Current.CancellationToken))));
    }

    [Fact]
    public async Task A_redfish_nodes_instackenv_entry_has_what_tripleo_needs_to_register_it()
    {
        // tripleo-common's RedfishDriverInfo: pm_addr → redfish_address, pm_system_id → redfish_system_id, both mandatory;
        // pm_port is not passed ("not supported"), keys starting with redfish_ are passed as they are.
        using var directory = new TempDirectory();
        var files = new WorkspaceFiles(directory.Path);
        var report = await ReportAsync("compute:1");
        var bmc = new NodeBmc("redfish", "172.16.0.1", 8000, "admin", "password1", "/redfish/v1/Systems/system-1");
        report = report with { Nodes = [.. report.Nodes.Select(n => n with { Bmcs = [bmc] })] };

        OutputWriter.Write(files, report);

        var node = JsonNode.Parse(await File.ReadAllTextAsync(files.InstackEnv, TestContext.Current.CancellationToken))!["nodes"]![0]!.AsObject();
        Assert.Equal("redfish", node["pm_type"]!.GetValue<string>());
        Assert.Equal("https://172.16.0.1:8000", node["pm_addr"]!.GetValue<string>());
        Assert.Equal("/redfish/v1/Systems/system-1", node["pm_system_id"]!.GetValue<string>());
        Assert.Equal("admin", node["pm_user"]!.GetValue<string>());
        Assert.Equal("password1", node["pm_password"]!.GetValue<string>());
        // The BMC's certificate is self-signed: without this Ironic's power validation fails.
        Assert.False(node["redfish_verify_ca"]!.GetValue<bool>());
        Assert.False(node.ContainsKey("pm_port"));
    }

    [Fact]
    public async Task Bare_metal_nodes_without_a_bmc_get_ironics_manual_management_type_and_no_pm_fields()
    {
        // tripleo-common refuses an instackenv node without pm_type ("pm_type (ironic driver to use) is required") and maps
        // manual-management to Ironic's hardware type of that name, with no mandatory pm_* field.
        using var directory = new TempDirectory();
        var files = new WorkspaceFiles(directory.Path);
        var report = await ReportAsync("compute:2,undercloud:1");
        var bmc = new NodeBmc("ipmi", "172.16.0.1", 6230, "admin", "password1", null);
        // One node with a BMC, one without (--bmc none), and an OS node, which is no Ironic node either way.
        report = report with { Nodes = [.. report.Nodes.Select(n => n.Node.Name == "compute-0" ? n with { Bmcs = [bmc] } : n)] };

        OutputWriter.Write(files, report);

        var instack = JsonNode.Parse(await File.ReadAllTextAsync(files.InstackEnv, TestContext.Current.CancellationToken))!["nodes"]!.AsArray()
            .ToDictionary(n => n!["name"]!.GetValue<string>(), n => n!.AsObject());
        Assert.Equal(["compute-0", "compute-1"], instack.Keys.Order());
        Assert.Equal("ipmi", instack["compute-0"]["pm_type"]!.GetValue<string>());
        Assert.Equal("manual-management", instack["compute-1"]["pm_type"]!.GetValue<string>());
        Assert.DoesNotContain(instack["compute-1"], pair => pair.Key.StartsWith("pm_", StringComparison.Ordinal) && pair.Key != "pm_type");
        var nodes = JsonNode.Parse(await File.ReadAllTextAsync(files.Nodes, TestContext.Current.CancellationToken))!["nodes"]!.AsArray()
            .ToDictionary(n => n!["name"]!.GetValue<string>(), n => n!.AsObject());
        Assert.Equal("ipmi", nodes["compute-0"]["driver"]!.GetValue<string>());
        Assert.Equal("manual-management", nodes["compute-1"]["driver"]!.GetValue<string>());
        Assert.False(nodes["compute-1"].ContainsKey("driver_info"));
        Assert.False(nodes["undercloud-0"].ContainsKey("driver"));
    }

    private static long Total(JsonNode? state, string key) => state!["totals"]![key]!.GetValue<long>();

    [Fact]
    public async Task State_json_totals_count_only_the_nodes_in_the_lab_after_remove_nodes_and_after_an_up_that_leaves_them_out()
    {
        using var directory = new TempDirectory();
        var files = new WorkspaceFiles(directory.Path);
        var full = await ReportAsync("controller:1,compute:2");
        var compute = full.Topology.Nodes.Single(n => n.Name == "compute-1");

        // remove-nodes rewrites the outputs it has, with no topology at hand.
        OutputWriter.Write(files, full);
        OutputWriter.RemoveNodes(files, new HashSet<string> { "compute-1" });
        var afterRemove = JsonNode.Parse(await File.ReadAllTextAsync(files.State, TestContext.Current.CancellationToken));
        // The next up: the topology still names compute-1, the lab (the report's nodes) does not.
        OutputWriter.Write(files, full with { Nodes = [.. full.Nodes.Where(n => n.Node.Name != "compute-1")] });
        var afterUp = JsonNode.Parse(await File.ReadAllTextAsync(files.State, TestContext.Current.CancellationToken));

        foreach (var state in new[] { afterRemove, afterUp })
        {
            Assert.Equal(full.Topology.TotalVCpus - compute.VCpus, Total(state, "vCpus"));
            Assert.Equal(full.Topology.TotalMemoryMiB - compute.MemoryMiB, Total(state, "memoryMiB"));
            Assert.Equal(full.Topology.TotalDiskBytes - compute.Disks.Sum(d => d.SizeBytes), Total(state, "diskBytes"));
        }
    }

    [GeneratedRegex(@"ansible_ssh_private_key_file=(\S+)")]
    private static partial Regex InventoryKey();

    [GeneratedRegex(@"IdentityFile (\S+)")]
    private static partial Regex SshConfigKey();

    [Fact]
    public async Task A_lab_without_a_workspace_key_references_only_the_hypervisors()
    {
        using var directory = new TempDirectory();
        var files = new WorkspaceFiles(directory.Path);

        OutputWriter.Write(files, await ReportAsync("compute:2,undercloud:1"));

        var inventory = await File.ReadAllTextAsync(files.Inventory, TestContext.Current.CancellationToken);
        var sshConfig = await File.ReadAllTextAsync(files.SshConfig, TestContext.Current.CancellationToken);
        Assert.Equal(["/keys/hv"], InventoryKey().Matches(inventory).Select(m => m.Groups[1].Value));
        Assert.Equal(["/keys/hv"], SshConfigKey().Matches(sshConfig).Select(m => m.Groups[1].Value));
        Assert.Contains("compute-0 ansible_host=NA ansible_user=root ansible_connection=ssh", inventory, StringComparison.Ordinal);
        Assert.Contains("Host undercloud-0", sshConfig, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_workspace_key_is_referenced_for_every_node_once_it_exists()
    {
        using var directory = new TempDirectory();
        var files = new WorkspaceFiles(directory.Path);
        await File.WriteAllTextAsync(files.PrivateKey, "key", TestContext.Current.CancellationToken);

        OutputWriter.Write(files, await ReportAsync("compute:2,undercloud:1"));

        var inventory = await File.ReadAllTextAsync(files.Inventory, TestContext.Current.CancellationToken);
        var sshConfig = await File.ReadAllTextAsync(files.SshConfig, TestContext.Current.CancellationToken);
        Assert.Equal(3, InventoryKey().Matches(inventory).Count(m => m.Groups[1].Value == files.PrivateKey));
        Assert.Equal(1, SshConfigKey().Matches(sshConfig).Count(m => m.Groups[1].Value == files.PrivateKey));
    }

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
