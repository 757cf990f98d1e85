using System.Net;
using VMetal.Testing;
using VMetal.Topology;

namespace VMetal.Tests.Topology;

public class TopologyLoaderTests
{
    [Fact]
    public async Task Reference_topology_has_six_nodes_on_three_networks_in_layout_order()
    {
        var topology = await Topologies.LoadAsync();

        Assert.Equal(
            ["undercloud-0", "controller-0", "controller-1", "controller-2", "compute-0", "compute-1"],
            topology.Nodes.Select(node => node.Name));
        Assert.Equal(["data", "management", "external"], topology.Networks.Select(network => network.Name));
        foreach (var node in topology.Nodes)
            Assert.Equal(["data", "management", "external"], node.Nics.Select(nic => nic.Network));
        Assert.Equal([0, 0, 1, 2, 0, 1], topology.Nodes.Select(node => node.Index));
        Assert.Equal("management", topology.Nodes[0].ExternalNetwork);
    }

    [Fact]
    public async Task Totals_are_the_sums_of_the_catalogue_sizes()
    {
        var topology = await Topologies.LoadAsync();
        var catalog = await TopologyCatalog.ListAsync(null, TestContext.Current.CancellationToken);
        var counts = new Dictionary<string, int> { ["undercloud"] = 1, ["controller"] = 3, ["compute"] = 2 };
        var types = catalog.NodeTypes.Where(type => counts.ContainsKey(type.Name)).ToList();

        Assert.Equal(types.Sum(type => type.VCpus * counts[type.Name]), topology.TotalVCpus);
        Assert.Equal(types.Sum(type => (long)type.MemoryMiB * counts[type.Name]), topology.TotalMemoryMiB);
        Assert.Equal(types.Sum(type => type.DiskBytes * counts[type.Name]), topology.TotalDiskBytes);
        // 8 + 3×8 + 2×4 vCPUs (the research notes' "36" is an addition slip), 139264 MiB, 422 GiB of thin disk.
        Assert.Equal(40, topology.TotalVCpus);
        Assert.Equal(139264, topology.TotalMemoryMiB);
        Assert.Equal(422L << 30, topology.TotalDiskBytes);
    }

    [Fact]
    public async Task Bare_metal_nodes_boot_from_the_first_nic_then_disk_and_os_nodes_from_disk()
    {
        var topology = await Topologies.LoadAsync();
        var controller = topology.Nodes.Single(node => node.Name == "controller-0");
        var undercloud = topology.Nodes.Single(node => node.Name == "undercloud-0");

        Assert.False(controller.DeployOs);
        Assert.Equal([1, null, null], controller.Nics.Select(nic => nic.BootOrder));
        Assert.Equal(2, controller.Disks[0].BootOrder);
        Assert.Equal("data", controller.PxeNic?.Network);
        Assert.True(undercloud.DeployOs);
        Assert.All(undercloud.Nics, nic => Assert.Null(nic.BootOrder));
        Assert.Equal(1, undercloud.Disks[0].BootOrder);
    }

    [Fact]
    public async Task Provision_network_decides_the_pxe_nic()
    {
        var baremetal = await Topologies.LoadAsync("undercloud:1,controller:1,ironic:2", "4_nets_baremetal");
        var ironic = baremetal.Nodes.Single(node => node.Name == "ironic-1");
        Assert.Equal(["baremetal"], ironic.Nics.Select(nic => nic.Network));
        Assert.Equal("baremetal", ironic.PxeNic?.Network);
        Assert.Equal("baremetal", ironic.ProvisionNetwork);
        Assert.Equal(["data", "management", "external", "baremetal"], baremetal.Nodes[0].Nics.Select(nic => nic.Network));

        var split = await Topologies.LoadAsync("controller:1", "split_nets");
        Assert.Equal("data", split.Nodes[0].PxeNic?.Network);
        Assert.Equal("external", split.Nodes[0].ExternalNetwork);
    }

    [Fact]
    public async Task Prefix_names_nodes_networks_and_bridges_and_uses_unprefixed_names_for_layout_lookup()
    {
        var topology = await Topologies.LoadAsync(new TopologyRequest
        {
            NodeCounts = "undercloud:1,controller:1,compute:1",
            NetworkLayout = "4_nets_baremetal",
            Prefix = "ab",
        });

        Assert.Equal(["ab-undercloud-0", "ab-controller-0", "ab-compute-0"], topology.Nodes.Select(node => node.Name));
        Assert.Equal(["ab-data", "ab-management", "ab-external", "ab-baremetal"], topology.Networks.Select(network => network.Name));
        Assert.Equal(["ab-data", "ab-management", "ab-external", "ab-baremetal"], topology.Networks.Select(network => network.BridgeName));
        // infrared looked nodes.undercloud up by 'ab-undercloud' and fell back to 'default' (3 NICs).
        Assert.Equal(4, topology.Nodes[0].Nics.Count);
        Assert.Equal(3, topology.Nodes[2].Nics.Count);
        // Without explicit octets a prefixed lab gets infrared's first prefixed octets (net=10).
        Assert.Equal(IPAddress.Parse("172.16.10.1"), topology.Networks[1].Ipv4!.Address);
    }

    [Fact]
    public async Task Long_prefixes_get_safe_unique_bridge_names()
    {
        var topology = await Topologies.LoadAsync(new TopologyRequest
        {
            NodeCounts = "controller:1",
            NetworkLayout = "5_nets",
            Prefix = "a-very-long-ci-job-prefix",
        });

        var bridges = topology.Networks.Select(network => network.BridgeName).ToList();
        Assert.All(bridges, bridge => Assert.True(SafeNames.IsValidInterfaceName(bridge), bridge));
        Assert.Equal(bridges.Count, bridges.Distinct().Count());
        Assert.All(bridges, bridge => Assert.StartsWith("a-very-lo-", bridge, StringComparison.Ordinal));
        Assert.Equal("a-very-long-ci-job-prefix-management", topology.Networks[1].Name);
    }

    [Fact]
    public async Task Octets_are_inputs()
    {
        var topology = await Topologies.LoadAsync(new TopologyRequest { NodeCounts = "controller:1", NetworkLayout = "4_nets", Octets = new NetworkOctets(30, 44) });

        Assert.Equal("192.168.44.0/24", topology.Networks[0].Ipv4!.Subnet.ToString());
        Assert.Equal("172.16.30.0/24", topology.Networks[1].Ipv4!.Subnet.ToString());
        Assert.Equal("10.0.31.0/24", topology.Networks[3].Ipv4!.Subnet.ToString());
        Assert.Equal("2001:db8:ca2:30::/64", topology.Networks[2].Ipv6!.Subnet.ToString());
    }

    [Fact]
    public async Task Os_nodes_get_fixed_dhcp_leases_from_the_start_of_each_range()
    {
        var topology = await Topologies.LoadAsync("undercloud:1,tester:1,controller:1");
        var management = topology.Networks.Single(network => network.Name == "management");
        var undercloud = topology.Nodes[0];

        Assert.Equal(
            [("undercloud-0", "172.16.0.2", undercloud.Nics[1].MacAddress), ("tester-0", "172.16.0.3", topology.Nodes[1].Nics[1].MacAddress)],
            management.Ipv4!.Hosts.Select(host => (host.Name, host.Address.ToString(), host.MacAddress)));
        Assert.Empty(topology.Networks.Single(network => network.Name == "data").Ipv4!.Hosts);
    }

    [Fact]
    public async Task Macs_and_uuids_are_derived_stable_and_unique()
    {
        var first = await Topologies.LoadAsync();
        var second = await Topologies.LoadAsync();
        var macs = first.Nodes.SelectMany(node => node.Nics.Select(nic => nic.MacAddress)).ToList();

        Assert.Equal(macs, second.Nodes.SelectMany(node => node.Nics.Select(nic => nic.MacAddress)));
        Assert.Equal(first.Nodes.Select(node => node.Uuid), second.Nodes.Select(node => node.Uuid));
        Assert.Equal(first.Hash, second.Hash);
        Assert.Equal(macs.Count, macs.Distinct().Count());
        Assert.All(macs, mac => Assert.Matches("^52:54:00(:[0-9a-f]{2}){3}$", mac));
        Assert.Equal(MacAddresses.Derive("default", "undercloud-0", 0), macs[0]);
        Assert.Equal(NameBasedUuid.ForDomain("default", "undercloud-0"), first.Nodes[0].Uuid);
    }

    [Fact]
    public async Task Other_workspaces_and_prefixes_get_other_macs()
    {
        static async Task<HashSet<string>> Macs(string workspace, string? prefix) =>
            (await Topologies.LoadAsync(new TopologyRequest { NodeCounts = Topologies.Reference, Workspace = workspace, Prefix = prefix }))
            .Nodes.SelectMany(node => node.Nics.Select(nic => nic.MacAddress)).ToHashSet();

        var reference = await Macs("default", null);
        Assert.Empty(reference.Intersect(await Macs("other", null)));
        Assert.Empty(reference.Intersect(await Macs("default", "ab")));
    }

    [Fact]
    public void Uuids_follow_rfc4122_version5_layout()
    {
        var uuid = NameBasedUuid.Create("x").ToString();
        Assert.Equal('5', uuid[14]);
        Assert.Contains(uuid[19], "89ab");
        Assert.NotEqual(NameBasedUuid.ForDomain("a", "n"), NameBasedUuid.ForNetwork("a", "n"));
    }

    [Fact]
    public async Task Node_overrides_change_sizes_and_add_disks()
    {
        var topology = await Topologies.LoadAsync(new TopologyRequest
        {
            NodeCounts = "controller:2,compute:1",
            ExtraVars =
            [
                "override.controller.memory=16384",
                "override.controller.cpu=\"6\"",
                "override.controller.disks.disk1.size=150G",
                "override.controller.disks.disk2.size=10GiB",
                "override.compute.groups=[compute, extra]",
            ],
        });
        var controller = topology.Nodes[0];

        Assert.Equal(16384, controller.MemoryMiB);
        Assert.Equal(6, controller.VCpus);
        Assert.Equal([150L << 30, 10L << 30], controller.Disks.Select(disk => disk.SizeBytes));
        Assert.Equal(["vda", "vdb"], controller.Disks.Select(disk => disk.TargetDevice));
        Assert.Equal(["compute", "extra"], topology.Nodes[2].Groups);
        Assert.Equal(8192, topology.Nodes[2].MemoryMiB);
    }

    [Fact]
    public async Task A_mistyped_node_type_in_an_extra_vars_file_is_one_error_at_its_line()
    {
        using var directory = new TempDirectory();
        var file = directory.File("vars.yml");
        await File.WriteAllTextAsync(file, "override:\n  controler:\n    memory: 512\n    cpu: 2\n", TestContext.Current.CancellationToken);

        var result = await TopologyLoader.LoadAsync(
            new TopologyRequest { NodeCounts = "controller:1", ExtraVars = ["@" + file] }, TestContext.Current.CancellationToken);

        var error = Assert.Single(result.Errors);
        Assert.Equal((file, 2, 3), (error.File, error.Line, error.Column));
        Assert.StartsWith("unknown node file 'controler' in override (did you mean 'controller'?)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_extra_vars_file_applies_its_override_mapping_like_the_same_key_value_arguments()
    {
        using var directory = new TempDirectory();
        var file = directory.File("vars.yml");
        await File.WriteAllTextAsync(file, """
            provision_cleanup: noop.yml
            override:
              controller:
                memory: 16384
                disks:
                  disk2:
                    size: 10GiB
              networks:
                net2:
                  mtu: 9000
            """, TestContext.Current.CancellationToken);

        var result = await TopologyLoader.LoadAsync(
            new TopologyRequest { NodeCounts = "controller:1,compute:1", ExtraVars = ["@" + file, "override.compute.memory=512"] },
            TestContext.Current.CancellationToken);

        Assert.True(result.Succeeded, string.Join('\n', result.Errors));
        var topology = result.Topology!;
        Assert.Equal(16384, topology.Nodes[0].MemoryMiB);
        Assert.Equal([64L << 30, 10L << 30], topology.Nodes[0].Disks.Select(disk => disk.SizeBytes));
        Assert.Equal(512, topology.Nodes[1].MemoryMiB);
        Assert.Equal(9000, topology.Networks[1].Mtu);
        Assert.Contains(result.Warnings, w => w.Contains("'provision_cleanup' ignored", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Mistakes_in_an_extra_vars_file_point_at_the_file_and_line()
    {
        using var directory = new TempDirectory();
        var file = directory.File("vars.yml");
        await File.WriteAllTextAsync(file, "override:\n  controller:\n    memory: 1024\n  compute: 4\n", TestContext.Current.CancellationToken);

        var result = await Topologies.FailAsync(new TopologyRequest { NodeCounts = "controller:1,compute:1", ExtraVars = ["@" + file] });
        var missing = await Topologies.FailAsync(new TopologyRequest { NodeCounts = "compute:1", ExtraVars = ["@/nonexistent/vars.yml"] });

        Assert.Contains(result.Errors, e => e.ToString().StartsWith($"{file}:4:", StringComparison.Ordinal) && e.ToString().Contains("override.compute is '4'", StringComparison.Ordinal));
        Assert.Contains(missing.Errors, e => e.ToString().Contains("-e @/nonexistent/vars.yml: cannot read /nonexistent/vars.yml", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Network_overrides_reach_the_interface_lists()
    {
        var topology = await Topologies.LoadAsync(new TopologyRequest
        {
            NodeCounts = "undercloud:1,controller:1",
            ExtraVars = ["override.networks.net2.name=mgmt", "override.networks.net2.mtu=9000", "override.networks.net1.ip_address=192.168.50.1"],
        });

        Assert.Equal(["data", "mgmt", "external"], topology.Networks.Select(network => network.Name));
        Assert.Equal(9000, topology.Networks[1].Mtu);
        Assert.Equal("192.168.50.0/24", topology.Networks[0].Ipv4!.Subnet.ToString());
        Assert.All(topology.Nodes, node => Assert.Equal(["data", "mgmt", "external"], node.Nics.Select(nic => nic.Network)));
        Assert.Equal("mgmt", topology.Nodes[0].ExternalNetwork);
    }

    [Fact]
    public async Task Non_override_extra_vars_are_ignored_with_a_warning()
    {
        var result = await TopologyLoader.LoadAsync(
            new TopologyRequest { NodeCounts = "compute:1", ExtraVars = ["provision_cleanup=noop.yml"] }, TestContext.Current.CancellationToken);

        Assert.True(result.Succeeded);
        Assert.Contains(result.Warnings, warning => warning.Contains("provision_cleanup=noop.yml: ignored", StringComparison.Ordinal));
    }

    /// <summary>
    /// A CI job template keeps its overrides while its jobs vary --topology-nodes; infrared ignores
    /// the overrides of types a job does not use. A type that exists nowhere is still a typo.
    /// </summary>
    [Fact]
    public async Task Overrides_of_node_types_the_topology_does_not_use_are_ignored_with_a_warning()
    {
        var result = await TopologyLoader.LoadAsync(new TopologyRequest
        {
            NodeCounts = "compute:1",
            ExtraVars = ["override.compute.memory=512", "override.controller.memory=512", "override.controller.cpu=2"],
        }, TestContext.Current.CancellationToken);

        Assert.True(result.Succeeded, string.Join("; ", result.Errors.Select(e => e.ToString())));
        Assert.Equal(512, result.Topology!.Nodes[0].MemoryMiB);
        var warning = Assert.Single(result.Warnings, w => w.Contains("controller", StringComparison.Ordinal));
        Assert.Equal("-e override.controller.memory=512: ignored: this topology has no 'controller' nodes (node types used: compute)", warning);
    }

    [Fact]
    public async Task Uefi_applies_to_bare_metal_nodes_and_disk_bus_and_image_flow_into_disks()
    {
        var topology = await Topologies.LoadAsync(new TopologyRequest
        {
            NodeCounts = "undercloud:1,ceph:1",
            BootMode = BootMode.Uefi,
            DiskBus = DiskBus.Scsi,
            BaseImage = "/var/lib/libvirt/images/base.qcow2",
        });
        var undercloud = topology.Nodes[0];
        var ceph = topology.Nodes[1];

        Assert.Equal(BootMode.Bios, undercloud.BootMode);
        Assert.Equal(BootMode.Uefi, ceph.BootMode);
        Assert.Equal("/var/lib/libvirt/images/base.qcow2", undercloud.Disks[0].BackingImage);
        Assert.Equal(DiskPreallocation.Off, undercloud.Disks[0].Preallocation);
        Assert.All(ceph.Disks, disk => Assert.Null(disk.BackingImage));
        Assert.Equal(["sda", "sdb", "sdc", "sdd", "sde", "sdf"], ceph.Disks.Select(disk => disk.TargetDevice));
        Assert.Equal(["ceph-0-disk1.qcow2", "ceph-0-disk2.qcow2"], ceph.Disks.Take(2).Select(disk => disk.VolumeName));
        Assert.All(ceph.Disks, disk => Assert.Equal(DiskPreallocation.Metadata, disk.Preallocation));
    }

    [Fact]
    public async Task User_directory_shadows_the_catalogue_and_paths_work()
    {
        using var directory = new TempDirectory();
        Directory.CreateDirectory(Path.Combine(directory.Path, "nodes"));
        await File.WriteAllTextAsync(Path.Combine(directory.Path, "nodes", "compute.yml"),
            "name: compute\ncpu: 2\nmemory: 2048\ndeploy_os: false\ndisks:\n  disk1:\n    size: 10G\n", TestContext.Current.CancellationToken);
        var explicitFile = Path.Combine(directory.Path, "worker.yaml");
        await File.WriteAllTextAsync(explicitFile,
            "name: worker\ncpu: 1\nmemory: 1024\ndeploy_os: false\ndisks: {disk1: {size: 5G}}\n", TestContext.Current.CancellationToken);

        var topology = await Topologies.LoadAsync(new TopologyRequest
        {
            NodeCounts = $"compute:1,controller:1,{explicitFile}:2",
            TopologyDirectory = directory.Path,
        });

        Assert.Equal(2, topology.Nodes[0].VCpus);
        Assert.Equal(8, topology.Nodes[1].VCpus);
        Assert.Equal(["compute-0", "controller-0", "worker-0", "worker-1"], topology.Nodes.Select(node => node.Name));
        Assert.Equal("worker", topology.Nodes[2].Type);
    }

    [Fact]
    public async Task Native_file_gives_the_same_topology_as_the_command_line()
    {
        using var directory = new TempDirectory();
        var file = directory.File("lab.yml");
        await File.WriteAllTextAsync(file, """
            vmetal-topology: 1
            network: 3_nets
            nodes:
              - type: undercloud
                count: 1
              - type: controller
                count: 3
              - type: compute
                count: 2
            """, TestContext.Current.CancellationToken);

        var native = await Topologies.LoadAsync(new TopologyRequest { TopologyFile = file });
        var cli = await Topologies.LoadAsync();

        Assert.Equal(cli.Hash, native.Hash);
        Assert.Equal(cli.Nodes.Select(node => node.Name), native.Nodes.Select(node => node.Name));
    }

    [Fact]
    public async Task Native_file_takes_inline_layouts_definitions_and_group_overrides()
    {
        using var directory = new TempDirectory();
        var file = directory.File("lab.yml");
        await File.WriteAllTextAsync(file, """
            vmetal-topology: 1
            network:
              networks:
                net1:
                  name: prov
                  ip_address: 198.18.50.1
                  netmask: 255.255.255.0
                net2:
                  name: access
                  forward: nat
                  ip_address: 198.18.51.1/24
                  dhcp: {range: {start: 198.18.51.10, end: 198.18.51.20}}
              nodes:
                default:
                  interfaces: [{network: prov}, {network: access, model: e1000}]
            nodes:
              - type: controller
                count: 1
                override:
                  memory: 4G
              - count: 2
                definition:
                  name: bm
                  cpu: 1
                  memory: 512
                  deploy_os: false
                  disks: {disk1: {size: 1G}}
            """, TestContext.Current.CancellationToken);

        var topology = await Topologies.LoadAsync(new TopologyRequest { TopologyFile = file, ExtraVars = ["override.bm.cpu=2"] });

        Assert.Equal(["controller-0", "bm-0", "bm-1"], topology.Nodes.Select(node => node.Name));
        Assert.Equal(4096, topology.Nodes[0].MemoryMiB);
        Assert.Equal(2, topology.Nodes[1].VCpus);
        Assert.Equal(["virtio", "e1000"], topology.Nodes[1].Nics.Select(nic => nic.Model));
        Assert.Equal(["prov", "access"], topology.Networks.Select(network => network.Name));
    }

    [Fact]
    public async Task Paths_in_a_native_file_are_relative_to_the_file()
    {
        using var directory = new TempDirectory();
        Directory.CreateDirectory(Path.Combine(directory.Path, "parts"));
        await File.WriteAllTextAsync(Path.Combine(directory.Path, "parts", "bm.yml"),
            "name: bm\ncpu: 1\nmemory: 512\ndeploy_os: false\ndisks: {disk1: {size: 1G}}\n", TestContext.Current.CancellationToken);
        await File.WriteAllTextAsync(Path.Combine(directory.Path, "parts", "net.yml"),
            "networks:\n  net1: {name: prov, ip_address: 198.18.70.1/24}\nnodes:\n  default: {interfaces: [{network: prov}]}\n", TestContext.Current.CancellationToken);
        var file = directory.File("lab.yml");
        await File.WriteAllTextAsync(file, "vmetal-topology: 1\nnetwork: parts/net.yml\nnodes:\n  - {type: ./parts/bm.yml, count: 1}\n", TestContext.Current.CancellationToken);

        var topology = await Topologies.LoadAsync(new TopologyRequest { TopologyFile = file });

        Assert.Equal(("bm-0", "prov"), (topology.Nodes[0].Name, topology.Networks[0].Name));
    }

    [Fact]
    public async Task Every_catalogue_node_type_loads_on_every_catalogue_layout()
    {
        var catalog = await TopologyCatalog.ListAsync(null, TestContext.Current.CancellationToken);
        Assert.Empty(catalog.Errors);
        foreach (var layout in catalog.Layouts)
        {
            var counts = Topologies.EveryTypeCounts(catalog, layout.Name);
            var topology = await Topologies.LoadAsync(counts, layout.Name);
            Assert.Equal(counts.Split(',').Length, topology.Nodes.Count);
        }
    }

    [Fact]
    public async Task Zero_count_types_are_validated_but_create_nothing()
    {
        var topology = await Topologies.LoadAsync("undercloud:1,compute:0");
        Assert.Equal(["undercloud-0"], topology.Nodes.Select(node => node.Name));
    }
}
