using VMetal.Cli.Commands;

namespace VMetal.Cli.Tests.Virsh;

/// <summary>What each infrared virsh command line turns into (pure translation, no host).</summary>
public sealed class InfraredInvocationTests
{
    private static InfraredInvocation Parse(string commandLine) => InfraredInvocation.Parse(Split(commandLine));

    private static string[] Split(string commandLine) => commandLine.Split(' ', StringSplitOptions.RemoveEmptyEntries);

    private static string Translate(string commandLine) => string.Join(' ', Parse(commandLine).VmetalArguments);

    [Theory]
    // The typical CI job (infrared's docs), with its host flags.
    [InlineData("--host-address hv --host-key /keys/hv --host-user root --topology-nodes undercloud:1,controller:3,compute:2 " +
                "--topology-network 3_nets -e override.controller.memory=16384 --prefix ab",
        "up --topology-nodes undercloud:1,controller:3,compute:2 --topology-network 3_nets --prefix ab " +
        "--extra-vars override.controller.memory=16384 --host root@hv --key /keys/hv")]
    [InlineData("--topology-nodes undercloud:1,controller:1 -e override.controller.memory=28672 --host-address hv --topology-network 3_bridges_1_net",
        "up --topology-nodes undercloud:1,controller:1 --topology-network 3_bridges_1_net --extra-vars override.controller.memory=28672 --host root@hv")]
    [InlineData("--host-address 10.0.0.5 --host-user vmadmin --topology-nodes compute:2", "up --topology-nodes compute:2 --host vmadmin@10.0.0.5")]
    [InlineData("--host-address hv --host-address hv --topology-nodes compute:2", "up --topology-nodes compute:2 --host root@hv")]
    [InlineData("--host-address fe80::1 --topology-nodes compute:2", "up --topology-nodes compute:2 --host root@fe80::1")]
    [InlineData("--host-key /k --topology-nodes compute:2", "up --topology-nodes compute:2 --key /k")]
    // --flag=value, attached -e, --extra-vars, vmetal's spelling of the subnet flags.
    [InlineData("--topology-nodes=compute:1 --prefix=ab -eoverride.compute.memory=128 --extra-vars override.compute.cpu=2",
        "up --topology-nodes compute:1 --prefix ab --extra-vars override.compute.memory=128 --extra-vars override.compute.cpu=2")]
    [InlineData("--topology-nodes c:1 --net_subnet 30 --data-subnet 40", "up --topology-nodes c:1 --net-subnet 30 --data-subnet 40")]
    [InlineData("--topology-nodes c:1 --bootmode uefi --disk-bus scsi --disk-pool /pool --pool-name p2 --serial-files yes --vnc-external --vnc-password pw",
        "up --topology-nodes c:1 --bootmode uefi --disk-bus scsi --disk-pool /pool --pool-name p2 --serial-files --vnc-external --vnc-password pw")]
    [InlineData("--topology-nodes c:1 --serial-files False --vnc-external no", "up --topology-nodes c:1")]
    [InlineData("--topology-nodes c:1 --image /var/lib/libvirt/images/rhel.qcow2 --topology-dir /topo --domain-type qemu --start --no-wait yes",
        "up --topology-nodes c:1 --image /var/lib/libvirt/images/rhel.qcow2 --topology-dir /topo --domain-type qemu --start --no-wait")]
    // argparse keeps the last of a repeated value flag.
    [InlineData("--topology-nodes c:1 --prefix ab --prefix cd", "up --topology-nodes c:1 --prefix cd")]
    // `plan` takes every option of `up` (it names the ones only `up` acts on), so --dry-run only swaps the command.
    [InlineData("--topology-nodes undercloud:1 --image-url http://x/rhel.qcow2 --image-sha256 ab12",
        "up --topology-nodes undercloud:1 --image-url http://x/rhel.qcow2 --image-sha256 ab12")]
    [InlineData("--topology-nodes undercloud:1 --image-url http://x/rhel.qcow2 --image-sha256 ab12 --dry-run",
        "plan --topology-nodes undercloud:1 --image-url http://x/rhel.qcow2 --image-sha256 ab12")]
    [InlineData("--topology-nodes compute:1 --dry-run", "plan --topology-nodes compute:1")]
    // vmetal's BMC options reach `up`, which deploys the BMCs.
    [InlineData("--topology-nodes compute:1 --bmc ipmi --bmc-address 198.18.90.2 --bmc-port 8443",
        "up --topology-nodes compute:1 --bmc ipmi --bmc-address 198.18.90.2 --bmc-port 8443")]
    [InlineData("--topology-nodes compute:1 --bmc none --dry-run", "plan --topology-nodes compute:1 --bmc none")]
    [InlineData("--topology-nodes compute:1 --cleanup no --kill False", "up --topology-nodes compute:1")]
    [InlineData("--topology-nodes compute:1 --topology-extend yes", "up --topology-nodes compute:1")]
    [InlineData("--topology-nodes compute:1 --topology-extend yes --dry-run True", "plan --topology-nodes compute:1")]
    // The dispatcher: --cleanup and --kill before --remove-nodes before provisioning.
    [InlineData("--host-address hv --host-key /k --cleanup yes", "cleanup --host root@hv --key /k")]
    [InlineData("--cleanup True --prefix ab", "cleanup --prefix ab")]
    [InlineData("--cleanup --no-wait", "cleanup --no-wait")]
    // With --kill and --remove-nodes, --prefix is checked against the workspace's lab.
    [InlineData("--kill yes --prefix ab --topology-nodes compute:2 -e override.compute.memory=128", "down --prefix ab")]
    [InlineData("--remove-nodes ab-compute-2 --prefix ab", "remove-nodes ab-compute-2 --prefix ab")]
    [InlineData("--kill yes --topology-extend yes --image-url http://example.com/x.qcow2", "down")]
    [InlineData("--remove-nodes compute-2,compute-3", "remove-nodes compute-2,compute-3")]
    [InlineData("--remove-nodes ab-compute-2, --topology-nodes compute:3", "remove-nodes ab-compute-2")]
    public void Translates_an_infrared_command_line_to_the_vmetal_one(string infrared, string vmetal)
    {
        Assert.Equal(vmetal, Translate(infrared));
    }

    [Theory]
    [InlineData("--topology-nodes c:1", "Provision")]
    [InlineData("--topology-nodes c:1 --topology-extend", "Extend")]
    [InlineData("--topology-nodes c:1 --topology-extend TRUE", "Extend")]
    [InlineData("--topology-nodes c:1 --topology-extend False", "Provision")]
    [InlineData("--cleanup yes", "Cleanup")]
    [InlineData("--cleanup YES --topology-nodes c:1", "Cleanup")]
    [InlineData("--kill true", "Kill")]
    [InlineData("--remove-nodes a", "RemoveNodes")]
    public void Chooses_the_operation_as_infrareds_dispatcher_does(string infrared, string operation)
    {
        Assert.Equal(operation, Parse(infrared).Operation.ToString());
    }

    [Theory]
    [InlineData("--topology-nodes c:1", false)]
    [InlineData("--topology-nodes c:1 --host-memory-overcommit", true)]
    [InlineData("--topology-nodes c:1 --host-memory-overcommit True", true)]
    [InlineData("--topology-nodes c:1 --host-memory-overcommit False", false)]
    public void Keeps_host_memory_overcommit(string infrared, bool overcommit)
    {
        var invocation = Parse(infrared);

        Assert.Equal(overcommit, invocation.HostMemoryOvercommit);
        Assert.DoesNotContain("--host-memory-overcommit", invocation.Ignored);
        Assert.Equal(overcommit, invocation.VmetalArguments.Contains("--host-memory-overcommit"));
    }

    [Fact]
    public void A_dry_run_keeps_host_memory_overcommit_because_plan_takes_ups_options()
    {
        var invocation = Parse("--topology-nodes c:1 --host-memory-overcommit --dry-run");

        Assert.Equal("plan", invocation.VmetalArguments[0]);
        Assert.Contains("--host-memory-overcommit", invocation.VmetalArguments);
    }

    [Fact]
    public void Expands_home_in_the_host_key_as_ansible_would()
    {
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);

        Assert.Equal($"up --topology-nodes c:1 --key {home}/.ssh/key", Translate("--topology-nodes c:1 --host-key=~/.ssh/key"));
    }

    [Fact]
    public void A_value_with_a_space_is_a_value_even_when_it_starts_with_a_dash()
    {
        var error = Assert.Throws<UsageException>(() => InfraredInvocation.Parse(["--topology-nodes", "c:1", "--virtopts", "--cpu host"]));

        Assert.StartsWith("--virtopts: vmetal defines VMs from libvirt XML", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--topolgy-nodes compute:1",
        "unknown flag '--topolgy-nodes' (did you mean '--topology-nodes'?); 'vmetal virsh --help' lists the infrared flags vmetal accepts")]
    [InlineData("--frobnicate --topology-nodes c:1", "unknown flag '--frobnicate'; 'vmetal virsh --help' lists the infrared flags vmetal accepts")]
    [InlineData("-x --topology-nodes c:1", "unknown flag '-x'; 'vmetal virsh --help' lists the infrared flags vmetal accepts")]
    [InlineData("--cleanup maybe", "--cleanup: expected yes, no, true or false, got 'maybe'")]
    [InlineData("--topology-nodes c:1 --topology-extend=1", "--topology-extend: expected yes, no, true or false, got '1'")]
    [InlineData("--topology-nodes c:1 --prefix", "--prefix needs a value")]
    [InlineData("--prefix --topology-nodes c:1", "--prefix needs a value")]
    [InlineData("compute:1", "unexpected argument 'compute:1': vmetal virsh takes infrared's flags only (--flag value)")]
    [InlineData("-e override: --topology-nodes c:1",
        "-e 'override:': expected key=value or @FILE, e.g. override.controller.memory=16384")]
    [InlineData("--host-address a --host-address b --topology-nodes c:1",
        "--host-address: vmetal drives one hypervisor per run, got a, b; run vmetal virsh once per hypervisor, each with its own --workspace")]
    [InlineData("--host-address a,b --topology-nodes c:1",
        "--host-address: vmetal drives one hypervisor per run, got a, b; run vmetal virsh once per hypervisor, each with its own --workspace")]
    [InlineData("--host-address me@hv --topology-nodes c:1", "--host-address 'me@hv': give the address only; the user goes in --host-user")]
    [InlineData("--host-address hv:99999 --topology-nodes c:1", "--host-address: host 'root@hv:99999': '99999' is not a port (1-65535)")]
    [InlineData("--host-user vmadmin --topology-nodes c:1", "--host-user needs --host-address (without both, vmetal's --host or VMETAL_HOST applies)")]
    [InlineData("--host-address hv",
        "provisioning needs --topology-nodes name:count[,name:count], e.g. undercloud:1,controller:3,compute:2 " +
        "(infrared's run without nodes, which only prepares the hypervisor, has no vmetal virsh equivalent)")]
    [InlineData("--topology-nodes c:1 --virtopts=--cpu=host",
        "--virtopts: vmetal defines VMs from libvirt XML, not with virt-install; put the change in a node file (--topology-dir) or an -e override")]
    [InlineData("--topology-nodes c:1 --topology-net-url http://example.com/net.yml",
        "--topology-net-url: vmetal downloads no layouts; download the file and pass --topology-network PATH")]
    [InlineData("--topology-nodes c:1 --host-network-mtu-size 9000",
        "--host-network-mtu-size: not mapped; set the MTU of each network of the layout instead, e.g. -e override.networks.net1.mtu=9000 (net1, net2, net3 for 3_nets)")]
    [InlineData("--topology-nodes c:1 --bootmode efi", "--bootmode: 'efi' is not one of bios, uefi")]
    [InlineData("--topology-nodes c:1 --bmc vbmc", "--bmc: 'vbmc' is not one of ipmi, redfish, both, none")]
    [InlineData("--topology-nodes c:1 --disk-bus ide", "--disk-bus: 'ide' is not one of virtio, scsi")]
    [InlineData("--topology-nodes c:1 --domain-type xen", "--domain-type: 'xen' is not one of kvm, qemu")]
    [InlineData("--topology-nodes c:1 --net_subnet 300", "--net_subnet: expected a third octet 0-255, got '300'")]
    [InlineData("--topology-nodes c:1 --data_subnet x", "--data_subnet: expected a third octet 0-255, got 'x'")]
    [InlineData("--topology-nodes c:1 --vnc-external yes",
        "--vnc-external needs --vnc-password, as in infrared: consoles listening on every address must have a password")]
    [InlineData("--cleanup yes --kill yes", "--cleanup and --kill: give one of --cleanup, --kill and --remove-nodes per run")]
    [InlineData("--kill yes --remove-nodes compute-1", "--kill and --remove-nodes: give one of --cleanup, --kill and --remove-nodes per run")]
    [InlineData("--kill yes --dry-run", "--dry-run: vmetal can preview provisioning only (vmetal plan), not --kill")]
    [InlineData("--remove-nodes ,", "--remove-nodes: give node names, e.g. compute-2,compute-3")]
    [InlineData("--topology-nodes c:1 --virsh-snapshot-create yes --virsh-snapshot-name s1",
        "--virsh-snapshot-create: vmetal virsh takes, exports and restores no snapshots; use 'virsh snapshot-create-as' and 'virsh snapshot-revert' on the hypervisor")]
    [InlineData("--kill yes --virsh-snapshot-export --virsh-snapshot-path /tmp/s",
        "--virsh-snapshot-export: vmetal virsh takes, exports and restores no snapshots; use 'virsh snapshot-create-as' and 'virsh snapshot-revert' on the hypervisor")]
    [InlineData("--topology-nodes c:1 --bgp-topology-mode basic", "--bgp-topology-mode: vmetal has no BGP topologies (infrared's provision_*_bgp playbooks)")]
    [InlineData("--topology-nodes c:1 --from-file answers.ini", "--from-file: answers files are not supported; give the flags on the command line")]
    public void Bad_input_is_refused_with_a_message_naming_the_flag(string infrared, string message)
    {
        var error = Assert.Throws<UsageException>(() => Parse(infrared));

        Assert.Equal(message, error.Message);
        Assert.Equal(FailureKind.BadInput, error.Kind);
    }

    /// <summary>
    /// A CI job's `--prefix "$PREFIX"` with the variable unset: vmetal cleanup without a prefix removes every
    /// vmetal lab on the host, of every workspace; --kill would check nothing.
    /// </summary>
    [Theory]
    [InlineData("--cleanup", "yes", "--prefix", "")]
    [InlineData("--cleanup", "yes", "--prefix=")]
    [InlineData("--kill", "yes", "--prefix", " ")]
    [InlineData("--topology-nodes", "c:1", "--prefix", "")]
    public void An_empty_prefix_is_refused(params string[] tokens)
    {
        var error = Assert.Throws<UsageException>(() => InfraredInvocation.Parse(tokens));

        Assert.Equal("--prefix is empty: give the lab's prefix, or leave --prefix out for a lab without one " +
                     "(with --cleanup, leaving it out removes every vmetal lab on the host)", error.Message);
    }

    [Fact]
    public void Every_problem_is_reported_at_once()
    {
        var error = Assert.Throws<UsageException>(() =>
            Parse("--host-address a,b --topology-nodes c:1 --net_subnet 300 --bootmode efi"));

        Assert.Equal(
            "3 problems:\n" +
            "  --host-address: vmetal drives one hypervisor per run, got a, b; run vmetal virsh once per hypervisor, each with its own --workspace\n" +
            "  --net_subnet: expected a third octet 0-255, got '300'\n" +
            "  --bootmode: 'efi' is not one of bios, uefi",
            error.Message);
    }

    [Fact]
    public void An_unknown_flags_value_is_not_a_second_problem()
    {
        var error = Assert.Throws<UsageException>(() => Parse("--topology-nodez c:1 --prefix ab"));

        Assert.DoesNotContain("unexpected argument", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--ansible-args tags=vms", "--ansible-args ignored: vmetal runs no Ansible playbooks")]
    [InlineData("--inventory hosts-x", "--inventory ignored: vmetal writes the lab's inventory")]
    [InlineData("--collect-ansible-facts yes", "--collect-ansible-facts ignored")]
    [InlineData("--host-mtu-size 9000", "--host-mtu-size 9000 ignored: vmetal attaches no physical NICs")]
    [InlineData("--topology-username stack", "--topology-username stack ignored: OS nodes' cloud-init seed authorises the workspace key for root")]
    [InlineData("--topology-timezone UTC", "--topology-timezone UTC ignored")]
    [InlineData("--image-mirror-url http://mirror", "--image-mirror-url http://mirror ignored")]
    [InlineData("--tls-ca /ca.pem", "--tls-ca /ca.pem ignored")]
    [InlineData("--force-image-download yes", "--force-image-download ignored")]
    [InlineData("--host-network-multicast-querier yes", "--host-network-multicast-querier ignored")]
    [InlineData("--image /img.qcow2 --image-url http://x/img.qcow2", "--image-url http://x/img.qcow2 ignored: --image is used")]
    public void Flags_vmetal_has_no_use_for_are_accepted_with_a_warning(string flags, string warning)
    {
        var invocation = Parse("--topology-nodes c:1 " + flags);

        Assert.Equal("up", invocation.Command);
        var only = Assert.Single(invocation.Warnings);
        Assert.StartsWith(warning, only, StringComparison.Ordinal);
    }

    [Fact]
    public void Bool_flags_that_are_off_warn_about_nothing()
    {
        var invocation = Parse("--topology-nodes c:1 --collect-ansible-facts no --force-image-download False --host-network-multicast-querier false");

        Assert.Empty(invocation.Warnings);
    }

    [Theory]
    [InlineData("--topology-nodes c:1 --host-validate yes --image-ssh_user cloud-user --virsh-snapshot-name s",
        new[] { "--host-validate", "--image-ssh_user", "--virsh-snapshot-name" })]
    [InlineData("--kill yes --prefix ab --topology-nodes compute:2 --host-memory-overcommit yes",
        new[] { "--topology-nodes", "--host-memory-overcommit" })]
    [InlineData("--cleanup yes --prefix ab --topology-nodes compute:2", new[] { "--topology-nodes" })]
    public void Flags_that_mean_nothing_for_the_operation_are_listed_as_ignored(string infrared, string[] ignored)
    {
        var invocation = Parse(infrared);

        Assert.Equal(ignored, invocation.Ignored);
        Assert.Empty(invocation.Warnings);
    }

    /// <summary>
    /// Every flag vmetal accepts has a decision when provisioning: mapped (it changes the vmetal
    /// command line), refused, warned about, or it has no effect in infrared either.
    /// </summary>
    [Fact]
    public void Every_accepted_flag_is_mapped_refused_warned_about_or_a_known_no_op()
    {
        string[] baseline = ["--topology-nodes", "c:1"];
        var knownNoOps = new HashSet<string>(StringComparer.Ordinal)
        {
            "--host-validate", "--image-ssh_user", "--image-ansible_connection",
            "--virsh-snapshot-name", "--virsh-snapshot-servers", "--virsh-snapshot-path", "--virsh-snapshot-container",
        };
        var baselineArguments = string.Join(' ', InfraredInvocation.Parse(baseline).VmetalArguments);
        foreach (var flag in InfraredFlags.All)
        {
            var value = flag.Shape == FlagShape.Bool ? "yes" : flag.Name switch
            {
                "--bootmode" => "uefi",
                "--disk-bus" => "scsi",
                "--domain-type" => "qemu",
                "--net_subnet" or "--data_subnet" => "50",
                "--extra-vars" => "override.c.memory=1",
                "--topology-nodes" => "d:2",
                "--remove-nodes" => "c-0",
                _ => "value",
            };
            InfraredInvocation invocation;
            try
            {
                invocation = InfraredInvocation.Parse([.. baseline, flag.Name, value]);
            }
            catch (UsageException refused)
            {
                Assert.Contains(flag.Name, refused.Message, StringComparison.Ordinal);
                continue;
            }
            var decided = string.Join(' ', invocation.VmetalArguments) != baselineArguments
                || invocation.Operation != VirshOperation.Provision
                || invocation.HostMemoryOvercommit
                || invocation.Warnings.Any(w => w.Contains(flag.Name, StringComparison.Ordinal))
                || (knownNoOps.Contains(flag.Name) && invocation.Ignored.SequenceEqual([flag.Name]));
            Assert.True(decided, $"{flag.Name} {value}: neither mapped, refused, warned about nor a known no-op");
        }
    }

    [Fact]
    public void The_vnc_password_is_hidden_when_the_command_is_shown()
    {
        var invocation = Parse("--topology-nodes c:1 --vnc-external yes --vnc-password s3cret");

        var shown = InfraredInvocation.Display(invocation.VmetalArguments);

        Assert.Equal("vmetal up --topology-nodes c:1 --vnc-external --vnc-password '***'", shown);
        Assert.Contains("s3cret", invocation.VmetalArguments);
    }
}
