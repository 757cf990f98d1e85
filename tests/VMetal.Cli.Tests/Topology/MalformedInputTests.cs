using System.Text.Json;
using VMetal.Catalog;
using VMetal.Testing;
using VMetal.Topology;

namespace VMetal.Cli.Tests.Topology;

/// <summary>
/// Malformed topologies and option strings, each through the real <c>vmetal render</c> in-process:
/// exit code 2 and the exact <c>file:line:column: message</c> (errors come back as JSON with
/// <c>--output json</c>, so the check does not depend on console line wrapping).
/// </summary>
public sealed class MalformedInputTests
{
    private const string Ref = "undercloud:1,controller:3,compute:2";

    private static readonly string NodeFields =
        "cpu, cpumodel, deploy_os, disks, external_network, flavor, flavor_id, groups, image, import_url, interfaces, machine_type, " +
        "memory, name, os, prefix, provision_network, supports_libguestfs, swap";

    private static string Available(string folder) => string.Join(", ", BuiltInCatalog.Names(folder));

    /// <summary>A node file that is fine, for layouts under test.</summary>
    private const string GoodNode = "name: bm\ncpu: 1\nmemory: 512\ndeploy_os: false\ndisks:\n  disk1:\n    size: 1G\n";

    private const string TwoNetworks = """
        networks:
          net1:
            name: prov
            ip_address: 198.18.10.1
            netmask: 255.255.255.0
          net2:
            name: access
            forward: nat
            ip_address: 198.18.11.1
            netmask: 255.255.255.0
            dhcp:
              range:
                start: 198.18.11.10
                end: 198.18.11.20

        """;

    private sealed record Case(string[] Args, string Expected, params (string Path, string Text)[] Files);

    private static readonly Dictionary<string, Case> Cases = new()
    {
        // --topology-nodes strings
        ["nodes empty"] = new(["--topology-nodes", ""],
            "--topology-nodes is empty; expected name:count[,name:count], e.g. undercloud:1,controller:3,compute:2"),
        ["nodes without count"] = new(["--topology-nodes", "compute"],
            "--topology-nodes 'compute': item 1 'compute': no count; expected name:count, e.g. compute:1"),
        ["nodes count not a number"] = new(["--topology-nodes", "undercloud:1,compute:x"],
            "--topology-nodes 'undercloud:1,compute:x': item 2 'compute:x': count 'x' is not a whole number"),
        ["nodes negative count"] = new(["--topology-nodes", "compute:-1"],
            "--topology-nodes 'compute:-1': item 1 'compute:-1': count '-1' is negative"),
        ["nodes colon without count"] = new(["--topology-nodes", "compute:"],
            "--topology-nodes 'compute:': item 1 'compute:': no count after ':'"),
        ["nodes count without name"] = new(["--topology-nodes", ":3"],
            "--topology-nodes ':3': item 1 ':3': no node type before ':'"),
        ["nodes empty item"] = new(["--topology-nodes", "undercloud:1,,compute:2"],
            "--topology-nodes 'undercloud:1,,compute:2': item 2 is empty"),
        ["nodes listed twice"] = new(["--topology-nodes", "compute:1,compute:2"],
            "--topology-nodes 'compute:1,compute:2': item 2 'compute:2': 'compute' is already listed; give each node type once with its total count"),
        ["nodes count too large"] = new(["--topology-nodes", "compute:5000"],
            "--topology-nodes 'compute:5000': item 1 'compute:5000': count 5000 is more than 1000"),
        ["unknown node type"] = new(["--topology-nodes", "undercloud:1,comptue:2"],
            $"--topology-nodes 'undercloud:1,comptue:2': unknown node type 'comptue' (did you mean 'compute'?); searched the built-in catalogue; available: {Available("nodes")}"),
        ["refused switch node type"] = new(["--topology-nodes", "undercloud:1,veos:1"],
            $"--topology-nodes 'undercloud:1,veos:1': {UnsupportedCatalog.Find(UnsupportedCatalog.NodeType, "veos")!.Message}"),
        ["refused BGP node type"] = new(["--topology-nodes", "undercloudbgp:1"],
            $"--topology-nodes 'undercloudbgp:1': {UnsupportedCatalog.Find(UnsupportedCatalog.NodeType, "undercloudbgp")!.Message}"),
        ["missing node file path"] = new(["--topology-nodes", "./no/such/node.yml:1"],
            "--topology-nodes './no/such/node.yml:1': node type file './no/such/node.yml' does not exist"),
        ["no nodes at all"] = new([],
            "no nodes: give --topology-nodes name:count[,name:count] (e.g. undercloud:1,controller:3,compute:2) or --topology-file FILE"),
        ["nodes and file together"] = new(["--topology-nodes", "compute:1", "--topology-file", "{dir}/lab.yml"],
            "--topology-nodes and --topology-file cannot be combined: the file lists its own nodes"),

        // other options
        ["unknown layout"] = new(["--topology-nodes", Ref, "--topology-network", "3nets"],
            $"--topology-network '3nets': unknown network layout '3nets' (did you mean '3_nets'?); searched the built-in catalogue; available: {Available("network")}"),
        ["unknown layout in user dir"] = new(["--topology-nodes", Ref, "--topology-network", "mine", "--topology-dir", "{dir}"],
            $"--topology-network 'mine': unknown network layout 'mine'; searched {{dir}}/network and the built-in catalogue; available: {Available("network")}"),
        ["refused host-bridge layout"] = new(["--topology-nodes", Ref, "--topology-network", "2_nets_1_bridge"],
            $"--topology-network '2_nets_1_bridge': {UnsupportedCatalog.Find(UnsupportedCatalog.Layout, "2_nets_1_bridge")!.Message}"),
        ["refused vswitch layout"] = new(["--topology-nodes", Ref, "--topology-network", "3_nets_vswitch"],
            $"--topology-network '3_nets_vswitch': {UnsupportedCatalog.Find(UnsupportedCatalog.Layout, "3_nets_vswitch")!.Message}"),
        ["refused BGP layout"] = new(["--topology-nodes", Ref, "--topology-network", "bgp_networks"],
            $"--topology-network 'bgp_networks': {UnsupportedCatalog.Find(UnsupportedCatalog.Layout, "bgp_networks")!.Message}"),
        ["bad prefix"] = new(["--topology-nodes", Ref, "--prefix", "a b"],
            "--prefix 'a b' may only use letters, digits, '-', '_' and '.', and must start with a letter or digit"),
        ["octet out of range"] = new(["--topology-nodes", Ref, "--net-subnet", "300"],
            "network octets must be 0-255, got net=300 data_net=24"),
        ["octet placeholder overflows"] = new(["--topology-nodes", Ref, "--topology-network", "4_nets", "--net-subnet", "255"],
            "builtin:network/4_nets.yml:51:17: '{{ net + 1 }}' gives 256, which is not an octet (0-255)"),
        ["missing topology file"] = new(["--topology-file", "{dir}/none.yml"],
            "--topology-file '{dir}/none.yml': the file does not exist"),

        // -e overrides
        ["extra var without value"] = new(["--topology-nodes", Ref, "-e", "override.controller"],
            "-e override.controller: expected key=value, e.g. override.controller.memory=16384"),
        ["override without field"] = new(["--topology-nodes", Ref, "-e", "override.memory=1"],
            "-e override.memory=1: expected override.<node file>.<field>=value or override.networks.<netN>.<field>=value"),
        ["override of unknown node file"] = new(["--topology-nodes", Ref, "-e", "override.controler.memory=1"],
            "-e override.controler.memory=1: unknown node file 'controler' in override (did you mean 'controller'?); this topology uses: undercloud, controller, compute (and 'networks' for network overrides)"),
        ["override of unknown field"] = new(["--topology-nodes", Ref, "-e", "override.controller.memroy=1"],
            $"-e override.controller.memroy=1: unknown field 'memroy' in node type 'controller' (did you mean 'memory'?) (known fields: {NodeFields})"),
        ["override into a scalar"] = new(["--topology-nodes", Ref, "-e", "override.controller.memory.size=1"],
            "-e override.controller.memory.size=1: 'memory' is '32768', not a mapping, so it has no field 'size'"),
        ["override memory not a size"] = new(["--topology-nodes", Ref, "-e", "override.controller.memory=lots"],
            "-e override.controller.memory=lots: memory 'lots' is not a size in MiB; expected e.g. 8192 or 8G"),
        ["override cpu zero"] = new(["--topology-nodes", Ref, "-e", "override.compute.cpu=0"],
            "-e override.compute.cpu=0: cpu must be a whole number from 1 to 1024, got '0'"),
        ["override size with bad unit"] = new(["--topology-nodes", Ref, "-e", "override.controller.disks.disk1.size=64X"],
            $"-e override.controller.disks.disk1.size=64X: disk size '64X' is malformed; expected {Sizes.Expected}"),
        ["override negative size"] = new(["--topology-nodes", Ref, "-e", "override.controller.disks.disk1.size=-1G"],
            $"-e override.controller.disks.disk1.size=-1G: disk size '-1G' is malformed; expected {Sizes.Expected}"),
        ["override size without number"] = new(["--topology-nodes", Ref, "-e", "override.controller.disks.disk1.size=G"],
            $"-e override.controller.disks.disk1.size=G: disk size 'G' is malformed; expected {Sizes.Expected}"),
        ["override bad disk name"] = new(["--topology-nodes", Ref, "-e", "override.compute.disks.data.size=1G"],
            "-e override.compute.disks.data.size=1G: disk 'data' of node type 'compute' must be named disk1, disk2, ..."),
        ["override bad cache"] = new(["--topology-nodes", Ref, "-e", "override.compute.disks.disk1.cache=fast"],
            "-e override.compute.disks.disk1.cache=fast: unknown cache mode 'fast' (known: none, writethrough, writeback, directsync, unsafe, default)"),
        ["override bad bus"] = new(["--topology-nodes", Ref, "-e", "override.compute.disks.disk1.bus=usb"],
            "-e override.compute.disks.disk1.bus=usb: bus 'usb' is not one of virtio, scsi, sata, ide"),
        ["override bad preallocation"] = new(["--topology-nodes", Ref, "-e", "override.compute.disks.disk1.preallocation=sparse"],
            "-e override.compute.disks.disk1.preallocation=sparse: preallocation 'sparse' is not one of off, metadata, falloc, full"),
        ["override bad boolean"] = new(["--topology-nodes", Ref, "-e", "override.compute.deploy_os=maybe"],
            "-e override.compute.deploy_os=maybe: deploy_os must be yes/no or true/false, got 'maybe'"),
        ["override value is broken YAML"] = new(["--topology-nodes", Ref, "-e", "override.compute.groups=[a, b"],
            "-e override.compute.groups=[a, b: YAML syntax error: While parsing a flow sequence, did not find expected ',' or ']'."),
        ["override groups not a list"] = new(["--topology-nodes", Ref, "-e", "override.compute.groups={a: b}"],
            "-e override.compute.groups={a: b}: groups must be a list, got a mapping"),
        ["override of unknown network"] = new(["--topology-nodes", Ref, "-e", "override.networks.net9.mtu=9000"],
            "-e override.networks.net9.mtu=9000: network layout '3_nets' has no network 'net9' (did you mean 'net1'?) (it has: net1, net2, net3)"),
        ["override bad forward"] = new(["--topology-nodes", Ref, "-e", "override.networks.net2.forward=route"],
            "-e override.networks.net2.forward=route: forward 'route' is not one of none, nat, bridge"),
        ["override bad address"] = new(["--topology-nodes", Ref, "-e", "override.networks.net2.ip_address=172.16.0.300"],
            "-e override.networks.net2.ip_address=172.16.0.300: ip_address '172.16.0.300' is not an IPv4 address"),
        ["override bad netmask"] = new(["--topology-nodes", Ref, "-e", "override.networks.net1.netmask=255.0.255.0"],
            "-e override.networks.net1.netmask=255.0.255.0: netmask '255.0.255.0' is not a valid IPv4 netmask"),
        ["override makes subnets overlap"] = new(["--topology-nodes", Ref, "-e", "override.networks.net1.ip_address=172.16.0.254"],
            "builtin:network/3_nets.yml:21:17: subnet 172.16.0.0/24 of network 'management' overlaps 172.16.0.0/24 of network 'data' (-e override.networks.net1.ip_address=172.16.0.254)"),
        ["override dhcp range holds gateway"] = new(["--topology-nodes", Ref, "-e", "override.networks.net2.dhcp.range.start=172.16.0.1"],
            "-e override.networks.net2.dhcp.range.start=172.16.0.1: DHCP range 172.16.0.1-172.16.0.100 of network 'management' contains the network's own (gateway) address 172.16.0.1"),
        ["override dhcp range outside subnet"] = new(["--topology-nodes", Ref, "-e", "override.networks.net2.dhcp.range.end=172.16.1.5"],
            "-e override.networks.net2.dhcp.range.end=172.16.1.5: DHCP range end 172.16.1.5 of network 'management' is outside its IPv4 subnet 172.16.0.0/24"),
        ["override dhcp range reversed"] = new(["--topology-nodes", Ref, "-e", "override.networks.net2.dhcp.range.start=172.16.0.90", "-e", "override.networks.net2.dhcp.range.end=172.16.0.20"],
            "-e override.networks.net2.dhcp.range.start=172.16.0.90: DHCP range of network 'management' starts at 172.16.0.90, after its end 172.16.0.20"),
        ["override duplicate network name"] = new(["--topology-nodes", Ref, "-e", "override.networks.net3.name=management"],
            "-e override.networks.net3.name=management: network name 'management' is already used by 'net2' (builtin:network/3_nets.yml:18:11)"),
        ["override long bridge name"] = new(["--topology-nodes", Ref, "-e", "override.networks.net1.bridge=a-much-too-long-bridge"],
            "-e override.networks.net1.bridge=a-much-too-long-bridge: bridge name 'a-much-too-long-bridge' is 22 characters; Linux interface names have at most 15"),
        ["override bad mtu"] = new(["--topology-nodes", Ref, "-e", "override.networks.net2.mtu=10"],
            "-e override.networks.net2.mtu=10: mtu must be a whole number from 68 to 65535, got '10'"),

        ["node name too long"] = new(["--topology-nodes", "compute:1", "-e", "override.compute.name=" + new string('n', 70)],
            "--topology-nodes 'compute:1': node name 'nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn…' is not usable: at most 63 letters, digits, '-', '_' and '.' (it becomes the host name and part of file names)"),

        // node definition files
        ["node file YAML syntax error"] = new(["--topology-nodes", "bm:1", "--topology-dir", "{dir}"],
            "{dir}/nodes/bm.yml:2:8: YAML syntax error: cannot parse what follows (an unclosed '[' or '{'?)",
            ("nodes/bm.yml", "name: bm\ncpu: [1,\nmemory: 512\n")),
        ["node file unknown field"] = new(["--topology-nodes", "bm:1", "--topology-dir", "{dir}"],
            $"{{dir}}/nodes/bm.yml:2:1: unknown field 'cpus' in node type 'bm' (did you mean 'cpu'?) (known fields: {NodeFields})",
            ("nodes/bm.yml", "name: bm\ncpus: 1\ncpu: 1\nmemory: 512\ndeploy_os: false\n")),
        ["node file missing cpu"] = new(["--topology-nodes", "bm:1", "--topology-dir", "{dir}"],
            "{dir}/nodes/bm.yml:1:1: node type 'bm' has no 'cpu'",
            ("nodes/bm.yml", "name: bm\nmemory: 512\ndeploy_os: false\n")),
        ["node file duplicate key"] = new(["--topology-nodes", "bm:1", "--topology-dir", "{dir}"],
            "{dir}/nodes/bm.yml:4:1: duplicate key 'memory' (first defined at line 3)",
            ("nodes/bm.yml", "name: bm\ncpu: 1\nmemory: 512\nmemory: 1024\n")),
        ["node file bad size"] = new(["--topology-nodes", "bm:1", "--topology-dir", "{dir}"],
            $"{{dir}}/nodes/bm.yml:7:11: disk size '64X' is malformed; expected {Sizes.Expected}",
            ("nodes/bm.yml", "name: bm\ncpu: 1\nmemory: 512\ndeploy_os: false\ndisks:\n  disk1:\n    size: \"64X\"\n")),
        ["node file bad import_url"] = new(["--topology-nodes", "os:1", "--topology-dir", "{dir}"],
            "{dir}/nodes/os.yml:4:13: import_url 'rhel.qcow2' is not an image URL: expected http://, https://, ftp:// or file:// followed by the path of a qcow2 or raw image",
            ("nodes/os.yml", "name: os\ncpu: 1\nmemory: 512\nimport_url: rhel.qcow2\ndisks:\n  disk1:\n    size: 10G\n")),
        ["node file disk import_url without file"] = new(["--topology-nodes", "os:1", "--topology-dir", "{dir}"],
            "{dir}/nodes/os.yml:7:17: import_url 'http://images.example/' names no file (it ends with '/')",
            ("nodes/os.yml", "name: os\ncpu: 1\nmemory: 512\ndisks:\n  disk1:\n    size: 10G\n    import_url: http://images.example/\n")),
        ["image url not a url"] = new(["--topology-nodes", Ref, "--image-url", "/var/lib/libvirt/images/rhel.qcow2"],
            "--image-url '/var/lib/libvirt/images/rhel.qcow2' is not an image URL: expected http://, https://, ftp:// or file:// followed by the path of a qcow2 or raw image"),
        ["image url and path together"] = new(["--topology-nodes", Ref, "--image-url", "http://x/a.qcow2", "--image", "/a.qcow2"],
            "--image and --image-url cannot be combined: give the image's path on the hypervisor or its URL"),
        ["image path relative"] = new(["--topology-nodes", Ref, "--image", "rhel.qcow2"],
            "--image 'rhel.qcow2' must be an absolute path on the hypervisor (e.g. /var/lib/libvirt/images/rhel-9.qcow2)"),
        ["node file OS without disk"] = new(["--topology-nodes", "os:1", "--topology-dir", "{dir}"],
            "{dir}/nodes/os.yml:1:1: node type 'os' deploys an OS (deploy_os is true) but has no disk to put it on",
            ("nodes/os.yml", "name: os\ncpu: 1\nmemory: 512\n")),
        ["node file bad name"] = new(["--topology-nodes", "bm:1", "--topology-dir", "{dir}"],
            "{dir}/nodes/bm.yml:1:7: name 'my node' may only use letters, digits, '-', '_' and '.', and must start with a letter or digit",
            ("nodes/bm.yml", "name: my node\ncpu: 1\nmemory: 512\ndeploy_os: false\n")),
        ["node file not a mapping"] = new(["--topology-nodes", "bm:1", "--topology-dir", "{dir}"],
            "{dir}/nodes/bm.yml:1:1: node type 'bm' must be a mapping of fields (name, cpu, memory, disks, ...), got a list",
            ("nodes/bm.yml", "- name: bm\n")),
        ["two node types with one name"] = new(["--topology-nodes", "compute:1,bm:1", "--topology-dir", "{dir}"],
            "--topology-nodes 'compute:1,bm:1': node 'compute-0' would be created twice: node types 'compute' and 'bm' both have name 'compute'",
            ("nodes/bm.yml", GoodNode.Replace("name: bm", "name: compute", StringComparison.Ordinal))),
        ["vswitch wiring"] = new(["--topology-nodes", "bm:1", "--topology-dir", "{dir}"],
            "{dir}/nodes/bm.yml:9:21: virtual switch wiring (connect_to) is not supported (vmetal never changes host networking)",
            ("nodes/bm.yml", GoodNode + "interfaces:\n  - {network: data, connect_to: vqfx}\n")),

        // network layout files
        ["layout interface on unknown network"] = new(["--topology-nodes", "bm:1", "--topology-network", "lab", "--topology-dir", "{dir}"],
            "{dir}/network/lab.yml:19:18: interface network 'mgmt' of node type 'bm' is not a network of layout 'lab' (networks: prov, access)",
            ("nodes/bm.yml", GoodNode), ("network/lab.yml", TwoNetworks + "nodes:\n  default:\n    interfaces:\n      - network: prov\n      - network: mgmt\n")),
        ["layout subnets overlap"] = new(["--topology-nodes", "bm:1", "--topology-network", "lab", "--topology-dir", "{dir}"],
            "{dir}/network/lab.yml:9:17: subnet 198.18.10.0/24 of network 'access' overlaps 198.18.10.0/24 of network 'prov' ({dir}/network/lab.yml:4:17)",
            ("nodes/bm.yml", GoodNode),
            ("network/lab.yml", TwoNetworks.Replace("198.18.11.", "198.18.10.", StringComparison.Ordinal) + "nodes:\n  default:\n    interfaces: [{network: prov}]\n")),
        ["layout dhcp range outside subnet"] = new(["--topology-nodes", "bm:1", "--topology-network", "lab", "--topology-dir", "{dir}"],
            "{dir}/network/lab.yml:13:16: DHCP range start 198.18.12.10 of network 'access' is outside its IPv4 subnet 198.18.11.0/24",
            ("nodes/bm.yml", GoodNode),
            ("network/lab.yml", TwoNetworks.Replace("start: 198.18.11.10", "start: 198.18.12.10", StringComparison.Ordinal) + "nodes:\n  default:\n    interfaces: [{network: prov}]\n")),
        ["layout dhcp range holds gateway"] = new(["--topology-nodes", "bm:1", "--topology-network", "lab", "--topology-dir", "{dir}"],
            "{dir}/network/lab.yml:13:16: DHCP range 198.18.11.1-198.18.11.20 of network 'access' contains the network's own (gateway) address 198.18.11.1",
            ("nodes/bm.yml", GoodNode),
            ("network/lab.yml", TwoNetworks.Replace("start: 198.18.11.10", "start: 198.18.11.1", StringComparison.Ordinal) + "nodes:\n  default:\n    interfaces: [{network: prov}]\n")),
        ["layout bridge network name too long"] = new(["--topology-nodes", "bm:1", "--topology-network", "lab", "--topology-dir", "{dir}"],
            "{dir}/network/lab.yml:4:11: bridge name 'br-provisioning-0' is 17 characters; Linux interface names have at most 15",
            ("nodes/bm.yml", GoodNode),
            ("network/lab.yml", "networks:\n  net1:\n    forward: bridge\n    name: br-provisioning-0\nnodes:\n  default:\n    interfaces: [{network: br-provisioning-0}]\n")),
        ["layout external network not attached"] = new(["--topology-nodes", "bm:1", "--topology-network", "lab", "--topology-dir", "{dir}"],
            "{dir}/network/lab.yml:19:16: external_network 'access' of node type 'bm' is not one of its interfaces' networks",
            ("nodes/bm.yml", GoodNode),
            ("network/lab.yml", TwoNetworks + "nodes:\n  default:\n    interfaces: [{network: prov}]\n    external_network:\n      network: access\n")),
        ["layout unknown template"] = new(["--topology-nodes", "bm:1", "--topology-network", "lab", "--topology-dir", "{dir}"],
            "{dir}/network/lab.yml:4:17: unsupported template '{{ prefix }}' (only {{ net }}, {{ data_net }} and {{ net + N }} are understood)",
            ("nodes/bm.yml", GoodNode),
            ("network/lab.yml", "networks:\n  net1:\n    name: prov\n    ip_address: \"10.{{ prefix }}.0.1\"\n    netmask: 255.255.255.0\nnodes:\n  default:\n    interfaces: [{network: prov}]\n")),
        ["layout without entry for the node"] = new(["--topology-nodes", "bm:1", "--topology-network", "lab", "--topology-dir", "{dir}"],
            "--topology-nodes 'bm:1': network layout 'lab' has no interfaces for node type 'bm': add nodes.bm or nodes.default to the layout",
            ("nodes/bm.yml", GoodNode), ("network/lab.yml", TwoNetworks + "nodes:\n  other:\n    interfaces: [{network: prov}]\n")),
        ["layout leaves bare metal without NIC"] = new(["--topology-nodes", "bm:1", "--topology-network", "lab", "--topology-dir", "{dir}"],
            "--topology-nodes 'bm:1': bare-metal node type 'bm' (deploy_os: false) has no network interface to PXE-boot from",
            ("nodes/bm.yml", GoodNode), ("network/lab.yml", TwoNetworks + "nodes:\n  default:\n    interfaces: []\n")),
        ["layout DHCP range too small"] = new(["--topology-nodes", "tester:3", "--topology-network", "lab", "--topology-dir", "{dir}"],
            "{dir}/network/lab.yml:13:16: DHCP range 198.18.11.10-198.18.11.11 of network 'access' has 2 address(es), but 3 NICs of OS nodes need a fixed lease",
            ("network/lab.yml", TwoNetworks.Replace("end: 198.18.11.20", "end: 198.18.11.11", StringComparison.Ordinal) + "nodes:\n  default:\n    interfaces: [{network: access}]\n")),
        ["layout Open vSwitch"] = new(["--topology-nodes", "bm:1", "--topology-network", "lab", "--topology-dir", "{dir}"],
            "{dir}/network/lab.yml:4:5: 'virtualport_type' (Open vSwitch networks) is not supported by vmetal",
            ("nodes/bm.yml", GoodNode),
            ("network/lab.yml", "networks:\n  net1:\n    name: prov\n    virtualport_type: openvswitch\nnodes:\n  default:\n    interfaces: [{network: prov}]\n")),

        // native topology files
        ["native file without header"] = new(["--topology-file", "{dir}/lab.yml"],
            "{dir}/lab.yml:1:1: not a vmetal topology file: the 'vmetal-topology: 1' header is missing",
            ("lab.yml", "nodes:\n  - {type: compute, count: 1}\n")),
        ["native file wrong version"] = new(["--topology-file", "{dir}/lab.yml"],
            "{dir}/lab.yml:1:18: vmetal-topology must be a whole number from 1 to 1, got '2'",
            ("lab.yml", "vmetal-topology: 2\nnodes:\n  - {type: compute, count: 1}\n")),
        ["native group with type and definition"] = new(["--topology-file", "{dir}/lab.yml"],
            "{dir}/lab.yml:3:5: a node group needs exactly one of 'type' (a node definition name or path) and 'definition' (an inline one)",
            ("lab.yml", "vmetal-topology: 1\nnodes:\n  - type: compute\n    count: 1\n    definition: {name: x}\n")),
        ["native count not a number"] = new(["--topology-file", "{dir}/lab.yml"],
            "{dir}/lab.yml:4:12: count must be a whole number from 0 to 1000, got 'two'",
            ("lab.yml", "vmetal-topology: 1\nnodes:\n  - type: compute\n    count: two\n")),
        ["native unknown type"] = new(["--topology-file", "{dir}/lab.yml"],
            $"{{dir}}/lab.yml:3:11: unknown node type 'compte' (did you mean 'compute'?); searched the built-in catalogue; available: {Available("nodes")}",
            ("lab.yml", "vmetal-topology: 1\nnodes:\n  - type: compte\n    count: 1\n")),
        ["native network is a list"] = new(["--topology-file", "{dir}/lab.yml"],
            "{dir}/lab.yml:2:10: network must be a layout name or an inline layout (networks:, nodes:)",
            ("lab.yml", "vmetal-topology: 1\nnetwork: [a]\nnodes:\n  - {type: compute, count: 1}\n")),
        ["native group override with unknown field"] = new(["--topology-file", "{dir}/lab.yml"],
            $"{{dir}}/lab.yml:6:7: unknown field 'ram' in node type 'compute' (known fields: {NodeFields})",
            ("lab.yml", "vmetal-topology: 1\nnodes:\n  - type: compute\n    count: 1\n    override:\n      ram: 4096\n")),
    };

    public static TheoryData<string> CaseNames => new(Cases.Keys);

    [Fact]
    public void There_are_at_least_forty_cases() => Assert.True(Cases.Count >= 40, $"{Cases.Count} cases");

    [Theory]
    [MemberData(nameof(CaseNames))]
    public async Task Render_rejects_with_exit_2_and_the_exact_location(string name)
    {
        var (args, expected, files) = Cases[name];
        using var directory = new TempDirectory();
        foreach (var (path, text) in files)
        {
            var fullPath = Path.Combine(directory.Path, path);
            Directory.CreateDirectory(Path.GetDirectoryName(fullPath)!);
            await File.WriteAllTextAsync(fullPath, text, TestContext.Current.CancellationToken);
        }
        string Expand(string text) => text.Replace("{dir}", directory.Path, StringComparison.Ordinal);

        var result = await CliRunner.RunAsync(["render", "--output", "json", .. args.Select(Expand)]);

        Assert.Equal(ExitCodes.BadInput, result.ExitCode);
        var errors = JsonDocument.Parse(result.Stdout).RootElement.GetProperty("errors").EnumerateArray()
            .Select(error => new TopologyError(
                Text(error, "file"),
                error.TryGetProperty("line", out var line) ? line.GetInt32() : null,
                error.TryGetProperty("column", out var column) ? column.GetInt32() : null,
                error.GetProperty("message").GetString()!).ToString())
            .ToList();
        Assert.Contains(Expand(expected), errors);
        Assert.Contains("the topology is invalid", result.Stderr, StringComparison.Ordinal);
    }

    /// <summary>`plan` and `up` report each problem as `render` does, before any host is contacted (port 1 on loopback answers nothing).</summary>
    [Theory]
    [InlineData("plan", "comptue:2", "error: --topology-nodes 'comptue:2': unknown node type 'comptue' (did you mean 'compute'?)")]
    [InlineData("up", "comptue:2", "error: --topology-nodes 'comptue:2': unknown node type 'comptue' (did you mean 'compute'?)")]
    [InlineData("up", "undercloud:1 --image-url rhel.qcow2", "error: --image-url 'rhel.qcow2' is not an image URL")]
    public async Task Plan_and_up_print_the_problem_with_its_location(string command, string arguments, string expected)
    {
        using var directory = new TempDirectory();
        var result = await CliRunner.RunAsync([command, "--host", "nobody@127.0.0.1:1", "--workspace-dir", directory.Path,
            "--topology-nodes", .. arguments.Split(' ')]);

        Assert.Equal(ExitCodes.BadInput, result.ExitCode);
        Assert.Contains(expected, result.Stderr, StringComparison.Ordinal);
        Assert.Contains("the topology is invalid (1 problem)", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("127.0.0.1", result.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--bootmode", "efi")]
    [InlineData("--disk-bus", "ide")]
    [InlineData("--domain-type", "xen")]
    public async Task Option_choices_are_checked_by_the_parser(string option, string value)
    {
        var result = await CliRunner.RunAsync("render", "--topology-nodes", Ref, option, value);

        Assert.Equal(ExitCodes.BadInput, result.ExitCode);
        Assert.Contains($"'{value}'", result.Stderr, StringComparison.Ordinal);
        Assert.Empty(result.Stdout);
    }

    [Fact]
    public async Task Text_mode_prints_file_line_column_errors_on_stderr()
    {
        using var directory = new TempDirectory();
        Directory.CreateDirectory(Path.Combine(directory.Path, "nodes"));
        await File.WriteAllTextAsync(Path.Combine(directory.Path, "nodes", "x.yml"), "name: x\ncpu: 1\n", TestContext.Current.CancellationToken);

        var result = await CliRunner.RunAsync("render", "--topology-nodes", "x:1", "--topology-dir", directory.Path);

        Assert.Equal(ExitCodes.BadInput, result.ExitCode);
        var stderr = result.Stderr.Replace("\n", "", StringComparison.Ordinal);
        Assert.Contains($"error: {directory.Path}/nodes/x.yml:1:1: node type 'x' has no 'memory'", stderr, StringComparison.Ordinal);
        Assert.Empty(result.Stdout);
    }

    private static string? Text(JsonElement element, string property) =>
        element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
