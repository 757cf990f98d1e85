using System.Net;
using VMetal.Catalog;
using VMetal.Testing;
using VMetal.Topology;

namespace VMetal.Tests.Topology;

/// <summary>
/// The built-in catalogue's node types and layouts follow infrared's: sizes, groups, deploy_os and NIC sets.
/// </summary>
public class CatalogCoverageTests
{
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

    [Fact]
    public void The_catalogue_has_42_node_types_and_10_layouts()
    {
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
}
