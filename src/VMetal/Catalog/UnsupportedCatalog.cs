namespace VMetal.Catalog;

/// <summary>An infrared node type or layout that vmetal deliberately does not ship, and why.</summary>
/// <param name="Kind">"node type" or "network layout".</param>
/// <param name="Reason">Why vmetal cannot represent it faithfully.</param>
/// <param name="Instead">What the user can do instead.</param>
public sealed record UnsupportedEntry(string Kind, string Name, string Reason, string Instead)
{
    /// <summary>The whole refusal, as the loader reports it.</summary>
    public string Message => $"{Kind} '{Name}' is one of infrared's, but vmetal does not support it: {Reason}; {Instead}";
}

/// <summary>
/// infrared's node types and layouts that vmetal refuses by name with a specific reason, so a user
/// coming from infrared learns why and what to do rather than reading "unknown node type". A file of
/// the same name in the user's <c>--topology-dir</c> still wins, as for every other name.
/// </summary>
public static class UnsupportedCatalog
{
    public const string NodeType = "node type";
    public const string Layout = "network layout";

    private const string Bgp =
        "it belongs to infrared's BGP spine-and-leaf topology (--bgp-topology-mode): its per-index interface lists, " +
        "static addresses and fixed introspection MACs only fit the bgp_networks layout, whose ~60 routed networks " +
        "need host routes, iptables rules and sysctl changes on the hypervisor, and vmetal never changes host networking";

    private static readonly UnsupportedEntry[] Entries =
    [
        BgpNode("cephbgp", "ceph"),
        BgpNode("computebgp", "compute"),
        BgpNode("controllerbgp", "controller"),
        BgpNode("extvmbgp", "tester"),
        BgpNode("freeipabgp", "freeipa"),
        BgpNode("networkerbgp", "networker"),
        BgpNode("undercloudbgp", "undercloud"),
        BgpNode("leaf", null),
        BgpNode("routerbgp", null),
        BgpNode("spine", null),
        SwitchNode("veos", "Arista vEOS from a Red Hat-internal server, file.rdu.redhat.com"),
        SwitchNode("vqfx", "Juniper vQFX routing engine from --image-mirror-url"),
        SwitchNode("vqfx-pfe", "Juniper vQFX packet forwarding engine from --image-mirror-url"),

        new(Layout, "2_nets_1_bridge", HostBridges("br-ctlplane on eno2"), HostBridgesInstead("")),
        new(Layout, "3_nets_1_bridge", HostBridges("br1 on the NIC of the default route, or 'nic:'"),
            "no node uses br1, so 3_nets gives the same lab; or " + HostBridgesInstead("")),
        new(Layout, "3_nets_hybrid", HostBridges("br-ctlplane on enp6s0f1, external on enp6s0f0"), HostBridgesInstead("")),
        new(Layout, "4_nets_3_bridges_hybrid", HostBridges("br-ctlplane on eno1, br-vlan on enp6s0f0, br-link on enp6s0f1"),
            HostBridgesInstead("")),
        new(Layout, "4_nets_multi_hypervisor",
            HostBridges("br-ctlplane on enp94s0f0, br-vlan on enp94s0f2, br-external on enp94s0f3"),
            HostBridgesInstead(" (run vmetal once per hypervisor, each with its own --workspace)")),
        new(Layout, "11_nets_3_bridges_hybrid",
            HostBridges("br-ctlplane on eno1, br-internal on enp6s0f0, br-external on enp6s0f1"),
            HostBridgesInstead("; 6_nets_3_bridges is a self-contained lab of a similar shape")),
        new(Layout, "adoption_11_nets_3_bridges_hybrid",
            HostBridges("br-ctlplane on eno1, br-internal on enp6s0f0, br-external on enp6s0f1"),
            HostBridgesInstead("; 6_nets_3_bridges is a self-contained lab of a similar shape")),
        new(Layout, "3_net_openvswitch", OpenVswitch(""), "use 3_nets, whose isolated 'data' network is the control plane without VLANs"),
        new(Layout, "4_nets_baremetal_openvswitch", OpenVswitch(", plus an l3appliance router configured by infrared's playbooks"),
            "use 4_nets_baremetal, which has the same separate 'baremetal' network as an isolated libvirt network"),
        new(Layout, "3_nets_4_leafs_openvswitch", OpenVswitch(", plus an l3appliance router between the four leaves configured by infrared's playbooks"),
            "use 3_nets for a flat control plane"),
        new(Layout, "3_nets_vswitch",
            "it wires every node to a switch VM (vqfx, veos or ovsvswitch) through point-to-point Linux bridges infrared " +
            "creates on the host (connect_to, hub), and vmetal neither creates host bridges nor supports the vqfx and veos types",
            "use 4_nets_baremetal for a separate bare-metal network without a switch VM"),
        new(Layout, "bgp_networks",
            "it has a different schema: ~60 routed spine-and-leaf networks with host routes, iptables rules and sysctl changes " +
            "on the hypervisor, used only with --bgp-topology-mode, and vmetal never changes host networking",
            "vmetal has no BGP topologies; use a flat layout such as 3_nets"),
        new(Layout, "bgp_networks_ipv6",
            "it has a different schema: ~60 routed spine-and-leaf networks (IPv6) with host routes, iptables rules and sysctl " +
            "changes on the hypervisor, used only with --bgp-topology-mode, and vmetal never changes host networking",
            "vmetal has no BGP topologies; use a flat layout such as 3_nets"),
    ];

    /// <summary>Every refused name of one kind, sorted.</summary>
    public static IReadOnlyList<UnsupportedEntry> All(string kind) => Entries
        .Where(entry => entry.Kind == kind)
        .OrderBy(entry => entry.Name, StringComparer.Ordinal)
        .ToList();

    public static UnsupportedEntry? Find(string kind, string name)
        => Entries.FirstOrDefault(entry => entry.Kind == kind && entry.Name == name);

    private static UnsupportedEntry BgpNode(string name, string? plain) => new(
        NodeType, name, Bgp,
        plain is null
            ? "vmetal has no BGP topologies; use a flat layout such as 3_nets"
            : $"use '{plain}' on a flat layout such as 3_nets");

    private static UnsupportedEntry SwitchNode(string name, string image) => new(
        NodeType, name,
        $"it is a network switch appliance, not a server: infrared imports a vendor switch image ({image}) instead of the " +
        "OS image, the switch runs no cloud-init, Ansible drives it over network_cli, and infrared only wires it to the " +
        "other nodes through 3_nets_vswitch's point-to-point host bridges, which vmetal does not create",
        "run switch appliances outside vmetal, or put your own node file in --topology-dir " +
        $"(nodes/{name}.yml) whose disk1 import_url is an image you can download; vmetal will boot it as a plain VM on a supported layout");

    private static string HostBridges(string bridges) =>
        $"it bridges the hypervisor's physical NICs into host bridges ({bridges}) that infrared creates with nmcli, which changes " +
        "the host's own network (infrared warns it may lose connectivity), and vmetal never changes host networking";

    private static string HostBridgesInstead(string more) =>
        "create those bridges on the host yourself, then pass infrared's file as --topology-network PATH: vmetal attaches " +
        $"'forward: bridge' networks to existing host bridges{more}";

    private static string OpenVswitch(string more) =>
        "its data network is an Open vSwitch bridge with VLAN portgroups (virtualport_type, portgroups) that infrared " +
        $"creates on the host with nmcli{more}, and vmetal only creates libvirt NAT and isolated networks of its own";
}
