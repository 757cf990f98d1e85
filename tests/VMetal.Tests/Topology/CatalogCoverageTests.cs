using System.Net;
using VMetal.Catalog;
using VMetal.Testing;
using VMetal.Topology;

namespace VMetal.Tests.Topology;

/// <summary>
/// The built-in catalogue covers infrared's node types and layouts: each is either shipped with infrared's sizes,
/// or refused by name with its own reason.
/// </summary>
public class CatalogCoverageTests
{
    /// <summary>infrared's plugins/virsh/defaults/topology/nodes (research notes §2.2).</summary>
    private static readonly string[] InfraredNodeTypes =
    [
        "aio", "ceph", "cephbgp", "cephext", "cfme", "cfme_tester", "compute", "compute_dvr", "computebgp", "computehci",
        "computerhel8", "contnet", "controller", "controllerbgp", "database", "diskless", "extvmbgp", "freeipa", "freeipabgp",
        "hcicephall", "heat", "ironic", "ironicconductor", "l3appliance", "leaf", "loadbalancer", "mds", "messaging", "monitor",
        "networker", "networkerbgp", "novacontrol", "odl", "openshift-infra", "openshift-master", "openshift-tester",
        "openshift-worker", "opstools", "osdcompute", "ovsvswitch", "patcher", "radosgw", "routerbgp", "serviceapi", "spine",
        "standalone", "swift", "telemetry", "tester", "tripleo", "undercloud", "undercloudbgp", "veos", "vqfx", "vqfx-pfe",
    ];

    /// <summary>infrared's plugins/virsh/defaults/topology/network (research notes §2.4).</summary>
    private static readonly string[] InfraredLayouts =
    [
        "11_nets_3_bridges_hybrid", "1_net", "2_nets_1_bridge", "3_net_openvswitch", "3_nets", "3_nets_1_bridge",
        "3_nets_4_leafs_openvswitch", "3_nets_hybrid", "3_nets_ipv4", "3_nets_tiny_ext_pool", "3_nets_tiny_ext_pool2",
        "3_nets_vswitch", "4_nets", "4_nets_3_bridges_hybrid", "4_nets_baremetal", "4_nets_baremetal_openvswitch",
        "4_nets_multi_hypervisor", "5_nets", "6_nets_3_bridges", "adoption_11_nets_3_bridges_hybrid", "bgp_networks",
        "bgp_networks_ipv6", "split_nets",
    ];

    private sealed record Fact(string Type, string Name, int Cpu, int Memory, bool Os, string CpuModel, int[] DisksGib, string[] Groups);

    /// <summary>Sizes, groups and deploy_os of the types vmetal added, from infrared's files (notes §2.2). Files without
    /// deploy_os (cfme, cfme_tester, heat, mds, monitor, openshift-tester, serviceapi) are OS nodes, as infrared reads them.</summary>
    private static readonly Fact[] Facts =
    [
        new("cephext", "ceph", 4, 16384, true, "host-passthrough", [11, 12, 12, 12, 12, 12], ["ceph_storage"]),
        new("cfme", "cfme", 2, 10240, true, "host-passthrough", [40, 40], ["cloudforms", "cfme"]),
        new("cfme_tester", "cfme_tester", 2, 4096, true, "host-passthrough", [40], ["cloudforms", "cfme"]),
        new("compute_dvr", "compute", 4, 6144, false, "host-passthrough", [50], ["compute", "dvr", "openstack_nodes", "overcloud_nodes"]),
        new("computehci", "computehci", 8, 32768, false, "host-passthrough", [31, 32, 32, 32, 32, 32],
            ["ceph", "computehci", "compute", "openstack_nodes", "overcloud_nodes"]),
        new("computerhel8", "computerhel8", 4, 8192, false, "host-passthrough", [50], ["computerhel8", "openstack_nodes", "overcloud_nodes"]),
        new("contnet", "contnet", 4, 8192, false, "host-passthrough", [40], ["controller", "network", "openstack_nodes", "overcloud_nodes"]),
        new("freeipa", "freeipa", 8, 4096, true, "host-passthrough", [40], ["freeipa"]),
        new("hcicephall", "hcicephall", 8, 32768, false, "host-model", [31, 32, 32, 32, 32, 32],
            ["ceph", "hcicephall", "compute", "openstack_nodes", "overcloud_nodes"]),
        new("heat", "heat", 2, 4096, true, "host-passthrough", [20], ["heat", "openstack_nodes", "overcloud_nodes"]),
        new("ironicconductor", "ironicconductor", 8, 16384, false, "host-passthrough", [40], ["ironicconductor", "openstack_nodes", "overcloud_nodes"]),
        new("l3appliance", "l3appliance", 2, 2048, true, "host-passthrough", [12], ["l3-appliance"]),
        new("loadbalancer", "loadbalancer", 2, 4096, true, "host-passthrough", [20], ["loadbalancer"]),
        new("mds", "mds", 2, 4096, true, "host-passthrough", [20], ["mds", "openstack_nodes", "overcloud_nodes"]),
        new("monitor", "monitor", 2, 4096, true, "host-passthrough", [20], ["monitors", "openstack_nodes", "overcloud_nodes"]),
        new("novacontrol", "novacontrol", 2, 4096, false, "host-passthrough", [50], ["openstack_nodes", "overcloud_nodes", "novacontrol"]),
        new("odl", "odl", 1, 2048, true, "host-passthrough", [20], ["odl_controller"]),
        new("openshift-infra", "openshift-infra", 2, 8192, true, "host-passthrough", [15, 16], ["openshift-infra", "overcloud_nodes", "openshift_nodes"]),
        new("openshift-master", "openshift-master", 4, 16384, true, "host-passthrough", [50], ["openshift-master", "overcloud_nodes", "openshift_nodes"]),
        new("openshift-tester", "openshift-tester", 2, 4096, true, "host-passthrough", [40], ["openshift_tester"]),
        new("openshift-worker", "openshift-worker", 4, 8192, true, "host-passthrough", [15, 16, 16, 16],
            ["openshift-worker", "overcloud_nodes", "openshift_nodes"]),
        new("opstools", "opstools", 8, 8192, true, "host-passthrough", [40],
        [
            "opstools", "am_hosts", "pm_hosts", "logging_hosts", "openstack_nodes", "rabbit_hosts", "redis_hosts", "sensu_hosts",
            "uchiwa_hosts", "fluent_hosts", "elastic_hosts", "kibana_hosts", "grafana_hosts", "collectd_hosts", "gnocchi_hosts",
        ]),
        new("osdcompute", "osdcompute", 8, 32768, false, "host-passthrough", [31, 32, 32, 32, 32, 32],
            ["osdcompute", "ceph", "compute", "openstack_nodes", "overcloud_nodes"]),
        new("ovsvswitch", "ovsvswitch", 2, 8192, true, "host-passthrough", [12], ["vswitches"]),
        new("patcher", "patcher", 8, 8192, true, "host-passthrough", [30], ["patcher"]),
        new("radosgw", "radosgw", 2, 4096, false, "host-passthrough", [20], ["radosgw", "openstack_nodes", "overcloud_nodes"]),
        new("serviceapi", "serviceapi", 8, 16384, true, "host-passthrough", [40], ["controller", "openstack_nodes", "overcloud_nodes", "serviceapi"]),
        new("tripleo", "undercloud", 4, 16384, true, "host-passthrough", [40], ["undercloud", "openstack_nodes"]),
    ];

    public static TheoryData<string> FactTypes => new(Facts.Select(fact => fact.Type));

    public static TheoryData<string> Layouts => new(BuiltInCatalog.Names(BuiltInCatalog.NetworkFolder));

    public static TheoryData<string, string> RefusedNames => new(
        UnsupportedCatalog.All(UnsupportedCatalog.NodeType).Concat(UnsupportedCatalog.All(UnsupportedCatalog.Layout))
            .Select(entry => (entry.Kind, entry.Name)));

    [Fact]
    public void Every_infrared_name_is_built_in_or_refused_with_a_reason_and_none_is_both()
    {
        foreach (var (names, folder, kind) in new[]
                 {
                     (InfraredNodeTypes, BuiltInCatalog.NodesFolder, UnsupportedCatalog.NodeType),
                     (InfraredLayouts, BuiltInCatalog.NetworkFolder, UnsupportedCatalog.Layout),
                 })
        {
            var builtIn = BuiltInCatalog.Names(folder);
            var refused = UnsupportedCatalog.All(kind).Select(entry => entry.Name).ToList();
            Assert.Empty(builtIn.Intersect(refused));
            Assert.Empty(names.Except(builtIn).Except(refused));
            Assert.Empty(refused.Except(names));
        }
        Assert.Equal(42, BuiltInCatalog.Names(BuiltInCatalog.NodesFolder).Count);
        Assert.Equal(10, BuiltInCatalog.Names(BuiltInCatalog.NetworkFolder).Count);
    }

    [Theory]
    [MemberData(nameof(FactTypes))]
    public async Task Added_type_has_infrareds_sizes_groups_and_deploy_os(string type)
    {
        var fact = Facts.Single(candidate => candidate.Type == type);

        var topology = await Topologies.LoadAsync(new TopologyRequest
        {
            NodeCounts = $"{type}:2",
            BaseImage = "/var/lib/libvirt/images/base.qcow2",
        });

        Assert.Equal([$"{fact.Name}-0", $"{fact.Name}-1"], topology.Nodes.Select(node => node.Name));
        var node = topology.Nodes[0];
        Assert.Equal(
            (type, fact.Cpu, fact.Memory, fact.Os, fact.CpuModel),
            (node.Type, node.VCpus, node.MemoryMiB, node.DeployOs, node.CpuModel));
        Assert.Equal(fact.DisksGib.Select(gib => (long)gib << 30), node.Disks.Select(disk => disk.SizeBytes));
        Assert.Equal(fact.Groups, node.Groups);
        Assert.All(node.Disks, disk => Assert.Equal("unsafe", disk.Cache));
        // OS nodes boot their first disk, an overlay of the base image; bare-metal nodes PXE-boot first.
        Assert.Equal(fact.Os ? "/var/lib/libvirt/images/base.qcow2" : null, node.Disks[0].BackingImage);
        Assert.Equal(fact.Os ? null : 1, node.Nics[0].BootOrder);
    }

    [Fact]
    public async Task Types_sharing_a_vm_name_replace_each_other_and_cannot_be_combined()
    {
        var topology = await Topologies.LoadAsync("tripleo:1,cephext:3,compute_dvr:2,controller:1");

        Assert.Equal(
            ["undercloud-0", "ceph-0", "ceph-1", "ceph-2", "compute-0", "compute-1", "controller-0"],
            topology.Nodes.Select(node => node.Name));
        Assert.Equal(["tripleo", "cephext", "cephext", "cephext", "compute_dvr", "compute_dvr", "controller"], topology.Nodes.Select(node => node.Type));
        // tripleo takes the layout's entry for its VM name (undercloud), as in infrared.
        Assert.Equal(["data", "management", "external"], topology.Nodes[0].Nics.Select(nic => nic.Network));

        var clash = await Topologies.FailAsync(new TopologyRequest { NodeCounts = "undercloud:1,tripleo:1" });
        Assert.Equal(
            "--topology-nodes 'undercloud:1,tripleo:1': node 'undercloud-0' would be created twice: node types 'undercloud' and 'tripleo' both have name 'undercloud'",
            Assert.Single(clash.Errors).ToString());
    }

    [Theory]
    [InlineData("3_nets")]
    [InlineData("3_nets_ipv4")]
    [InlineData("3_nets_tiny_ext_pool")]
    [InlineData("3_nets_tiny_ext_pool2")]
    public async Task Three_net_layouts_give_novacontrol_odl_and_cfme_their_own_nics(string layout)
    {
        // One type at a time: the tiny external pools hold only one or two fixed leases of OS nodes.
        async Task<(string Nics, string? External)> Attached(string type)
        {
            var node = (await Topologies.LoadAsync($"{type}:1", layout)).Nodes.Single();
            return (string.Join(',', node.Nics.Select(nic => nic.Network)), node.ExternalNetwork);
        }

        Assert.Equal(("data,management", "management"), await Attached("novacontrol"));
        Assert.Equal(("management", "management"), await Attached("odl"));
        Assert.Equal(("external,data", "external"), await Attached("cfme"));
        Assert.Equal(("external,data", "external"), await Attached("cfme_tester"));
        // heat's interfaces in infrared's file are 3_nets' default ones; here they come from the layout.
        Assert.Equal(("data,management,external", "management"), await Attached("heat"));
    }

    [Theory]
    [MemberData(nameof(Layouts))]
    public async Task Every_layout_takes_the_reference_topology_with_disjoint_subnets_and_ranges_inside_them(string layout)
    {
        foreach (var prefix in new string?[] { null, "ab" })
        {
            var topology = await Topologies.LoadAsync(new TopologyRequest { NodeCounts = Topologies.Reference, NetworkLayout = layout, Prefix = prefix });

            Assert.Equal(6, topology.Nodes.Count);
            Assert.All(topology.Nodes.Where(node => !node.DeployOs), node => Assert.NotNull(node.PxeNic));
            var subnets = topology.Networks
                .SelectMany(network => new IPNetwork?[] { network.Ipv4?.Subnet, network.Ipv6?.Subnet })
                .OfType<IPNetwork>()
                .ToList();
            for (var later = 0; later < subnets.Count; later++)
            {
                for (var earlier = 0; earlier < later; earlier++)
                    Assert.False(AddressMath.Overlap(subnets[earlier], subnets[later]), $"{layout}: {subnets[earlier]} overlaps {subnets[later]}");
            }
            foreach (var network in topology.Networks)
            {
                Assert.True(network.BridgeName.Length <= 15, network.BridgeName);
                foreach (var (subnet, range) in new[] { (network.Ipv4?.Subnet, network.Ipv4?.Dhcp), (network.Ipv6?.Subnet, network.Ipv6?.Dhcp) })
                {
                    if (subnet is not { } inside || range is null)
                        continue;
                    Assert.True(inside.Contains(range.Start) && inside.Contains(range.End), $"{layout}: {network.Name} DHCP {range.Start}-{range.End} outside {inside}");
                }
                Assert.All(network.Ipv4?.Hosts ?? [], host => Assert.True(network.Ipv4!.Subnet.Contains(host.Address)));
            }
        }
    }

    [Fact]
    public async Task Tiny_external_pools_hold_one_and_two_fixed_leases()
    {
        var one = await Topologies.LoadAsync(Topologies.Reference, "3_nets_tiny_ext_pool");
        var two = await Topologies.LoadAsync("undercloud:1,tester:1,controller:1", "3_nets_tiny_ext_pool2");

        var external = one.Networks.Single(network => network.BaseName == "external");
        Assert.Equal(("10.0.0.2", "10.0.0.2"), (external.Ipv4!.Dhcp!.Start.ToString(), external.Ipv4.Dhcp.End.ToString()));
        Assert.Equal(("2001:db8:ca2::fe:1", "2001:db8:ca2::fe:1"), (external.Ipv6!.Dhcp!.Start.ToString(), external.Ipv6.Dhcp.End.ToString()));
        Assert.Equal([("undercloud-0", "10.0.0.2")], external.Ipv4.Hosts.Select(host => (host.Name, host.Address.ToString())));
        var external2 = two.Networks.Single(network => network.BaseName == "external");
        Assert.Equal(("10.0.0.2", "10.0.0.3"), (external2.Ipv4!.Dhcp!.Start.ToString(), external2.Ipv4.Dhcp.End.ToString()));
        Assert.Equal(["10.0.0.2", "10.0.0.3"], external2.Ipv4.Hosts.Select(host => host.Address.ToString()));

        var full = await Topologies.FailAsync(new TopologyRequest { NodeCounts = "undercloud:1,tester:1", NetworkLayout = "3_nets_tiny_ext_pool" });
        Assert.Contains(full.Errors, error => error.ToString() ==
            "builtin:network/3_nets_tiny_ext_pool.yml:40:16: DHCP range 10.0.0.2-10.0.0.2 of network 'external' has 1 address(es), but 2 NICs of OS nodes need a fixed lease");
    }

    [Fact]
    public async Task Six_nets_three_bridges_keeps_infrareds_nic_sets_and_subnets_without_a_prefix()
    {
        var topology = await Topologies.LoadAsync("undercloud:1,controller:1,compute:1,ceph:1", "6_nets_3_bridges");
        string Nics(string name) => string.Join(',', topology.Nodes.Single(node => node.Name == name).Nics.Select(nic => nic.Network));

        Assert.Equal("br-ctlplane,management", Nics("undercloud-0"));
        Assert.Equal("br-ctlplane,br-internal,br-internal,br-internal,br-internal,br-external,management", Nics("controller-0"));
        Assert.Equal("br-ctlplane,br-internal,br-internal,br-internal,br-internal,br-internal,management", Nics("compute-0"));
        Assert.Equal("br-ctlplane,br-internal,management", Nics("ceph-0"));
        Assert.Equal(
            [("br-ctlplane", ForwardMode.Nat, "192.168.24.0/24", false), ("br-internal", ForwardMode.Nat, "10.0.1.0/24", true),
             ("br-external", ForwardMode.Nat, "10.0.0.0/24", true), ("management", ForwardMode.Nat, "172.16.0.0/24", true)],
            topology.Networks.Select(network => (network.Name, network.Forward, network.Ipv4!.Subnet.ToString(), network.Ipv4.Dhcp is not null)));
        Assert.All(topology.Nodes.Where(node => !node.DeployOs), node => Assert.Equal("br-ctlplane", node.PxeNic?.Network));
    }

    [Fact]
    public async Task Opstools_boots_the_given_image_unless_infrareds_import_url_is_asked_for()
    {
        const string centos = "http://cloud.centos.org/centos/7/images/CentOS-7-x86_64-GenericCloud.qcow2";
        var plain = await Topologies.LoadAsync(new TopologyRequest { NodeCounts = "opstools:1", BaseImageUrl = "https://images.example/rhel-9.qcow2" });
        var pinned = await Topologies.LoadAsync(new TopologyRequest
        {
            NodeCounts = "opstools:1",
            BaseImageUrl = "https://images.example/rhel-9.qcow2",
            ExtraVars = [$"override.opstools.import_url={centos}"],
        });

        Assert.Equal(new Uri("https://images.example/rhel-9.qcow2"), plain.Nodes[0].Disks[0].BackingImageUrl);
        Assert.Equal(new Uri(centos), pinned.Nodes[0].Disks[0].BackingImageUrl);
    }

    [Fact]
    public async Task Types_without_deploy_os_in_infrared_become_bare_metal_by_override()
    {
        var topology = await Topologies.LoadAsync(new TopologyRequest { NodeCounts = "mds:1,monitor:1", ExtraVars = ["override.mds.deploy_os=false"] });

        Assert.Equal([false, true], topology.Nodes.Select(node => node.DeployOs));
        Assert.Equal(1, topology.Nodes[0].Nics[0].BootOrder);
    }

    [Theory]
    [MemberData(nameof(RefusedNames))]
    public async Task Refused_name_fails_with_its_own_reason(string kind, string name)
    {
        var entry = UnsupportedCatalog.Find(kind, name)!;
        var request = kind == UnsupportedCatalog.NodeType
            ? new TopologyRequest { NodeCounts = $"undercloud:1,{name}:1" }
            : new TopologyRequest { NodeCounts = Topologies.Reference, NetworkLayout = name };

        var result = await Topologies.FailAsync(request);

        var error = Assert.Single(result.Errors).ToString();
        Assert.EndsWith($": {kind} '{name}' is one of infrared's, but vmetal does not support it: {entry.Reason}; {entry.Instead}", error, StringComparison.Ordinal);
        Assert.DoesNotContain("unknown", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Refusals_name_the_reason_and_what_to_do()
    {
        async Task<string> Error(TopologyRequest request) => Assert.Single((await Topologies.FailAsync(request)).Errors).ToString();

        Assert.Equal(
            "--topology-nodes 'veos:1': node type 'veos' is one of infrared's, but vmetal does not support it: it is a network switch " +
            "appliance, not a server: infrared imports a vendor switch image (Arista vEOS from a Red Hat-internal server, " +
            "file.rdu.redhat.com) instead of the OS image, the switch runs no cloud-init, Ansible drives it over network_cli, and " +
            "infrared only wires it to the other nodes through 3_nets_vswitch's point-to-point host bridges, which vmetal does not " +
            "create; run switch appliances outside vmetal, or put your own node file in --topology-dir (nodes/veos.yml) whose disk1 " +
            "import_url is an image you can download; vmetal will boot it as a plain VM on a supported layout",
            await Error(new TopologyRequest { NodeCounts = "veos:1" }));
        Assert.EndsWith(
            "BGP spine-and-leaf topology (--bgp-topology-mode): its per-index interface lists, static addresses and fixed " +
            "introspection MACs only fit the bgp_networks layout, whose ~60 routed networks need host routes, iptables rules and " +
            "sysctl changes on the hypervisor, and vmetal never changes host networking; use 'compute' on a flat layout such as 3_nets",
            await Error(new TopologyRequest { NodeCounts = "computebgp:1" }), StringComparison.Ordinal);
        Assert.Equal(
            "--topology-network '3_nets_hybrid': network layout '3_nets_hybrid' is one of infrared's, but vmetal does not support it: " +
            "it bridges the hypervisor's physical NICs into host bridges (br-ctlplane on enp6s0f1, external on enp6s0f0) that " +
            "infrared creates with nmcli, which changes the host's own network (infrared warns it may lose connectivity), and vmetal " +
            "never changes host networking; create those bridges on the host yourself, then pass infrared's file as " +
            "--topology-network PATH: vmetal attaches 'forward: bridge' networks to existing host bridges",
            await Error(new TopologyRequest { NodeCounts = "undercloud:1", NetworkLayout = "3_nets_hybrid" }));
        Assert.Contains(
            "Open vSwitch bridge with VLAN portgroups (virtualport_type, portgroups) that infrared creates on the host with nmcli, " +
            "and vmetal only creates libvirt NAT and isolated networks of its own; use 3_nets",
            await Error(new TopologyRequest { NodeCounts = "undercloud:1", NetworkLayout = "3_net_openvswitch" }), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_user_file_with_a_refused_name_is_used()
    {
        using var directory = new TempDirectory();
        Directory.CreateDirectory(Path.Combine(directory.Path, "nodes"));
        await File.WriteAllTextAsync(Path.Combine(directory.Path, "nodes", "veos.yml"),
            "name: veos\ncpu: 4\nmemory: 8192\ndisks: {disk1: {size: 8G, import_url: 'https://images.example/veos.qcow2', bus: ide}}\n",
            TestContext.Current.CancellationToken);

        var topology = await Topologies.LoadAsync(new TopologyRequest { NodeCounts = "veos:1", TopologyDirectory = directory.Path });

        Assert.Equal(("veos-0", DiskBus.Ide), (topology.Nodes[0].Name, topology.Nodes[0].Disks[0].Bus));
    }
}
