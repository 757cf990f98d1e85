using System.Text.Json;
using VMetal.Hosting;
using VMetal.Libvirt;
using VMetal.Testing;

namespace VMetal.IntegrationTests.Converge;

/// <summary>`vmetal plan/up/status/down/remove-nodes` against the sandbox's real libvirt.</summary>
public sealed class LabLifecycleTests(SandboxFixture sandbox)
{
    [Fact]
    public async Task Up_builds_the_lab_a_second_up_redefines_nothing_and_down_removes_it()
    {
        await using var lab = new TestLab(sandbox, "life");
        var plan = await lab.RunCheckedAsync([.. lab.Args("plan"), "--prefix", lab.Prefix, .. TestLab.SmallTopology, "-o", "json"]);
        using (var planned = JsonDocument.Parse(plan.Stdout))
        {
            // 3 networks, 2 disks, 2 domains (the shared disk pool may already exist).
            var creates = planned.RootElement.GetProperty("changes").EnumerateArray()
                .Where(c => c.GetProperty("action").GetString() == "create" && c.GetProperty("kind").GetString() != "pool")
                .Select(c => c.GetProperty("kind").GetString()).ToList();
            Assert.Equal(["domain", "domain", "network", "network", "network", "volume", "volume"], creates.Order());
        }
        Assert.Empty((await lab.ObjectsAsync()).Domains);

        await lab.RunCheckedAsync(lab.UpArgs(TestLab.SmallTopology));
        var objects = await lab.ObjectsAsync();
        Assert.Equal([$"{lab.Prefix}-compute-0", $"{lab.Prefix}-compute-1"], objects.Domains);
        Assert.Equal([$"{lab.Prefix}-data", $"{lab.Prefix}-external", $"{lab.Prefix}-management"], objects.Networks);
        Assert.Equal([$"{lab.Prefix}-compute-0-disk1.qcow2", $"{lab.Prefix}-compute-1-disk1.qcow2"], objects.Volumes);
        var uuidsBefore = await DomainUuidsAsync(objects.Domains);

        // The second run: every object unchanged, and libvirt reports no define/undefine/start at all.
        await using var libvirt = await LibvirtClient.ConnectAsync(new UnixSocketTransport(sandbox.Require().LibvirtSocket));
        await using var domainEvents = await libvirt.SubscribeDomainLifecycleEventsAsync();
        await using var networkEvents = await libvirt.SubscribeNetworkLifecycleEventsAsync();
        var second = await lab.RunCheckedAsync([.. lab.UpArgs(TestLab.SmallTopology), "-o", "json"]);
        await Task.Delay(500);
        using (var result = JsonDocument.Parse(second.Stdout))
        {
            var changes = result.RootElement.GetProperty("changes").EnumerateArray().ToList();
            Assert.NotEmpty(changes);
            Assert.All(changes, c => Assert.Equal("unchanged", c.GetProperty("action").GetString()));
        }
        Assert.DoesNotContain(Drain(domainEvents), e => e.Domain.Name.StartsWith(lab.Prefix, StringComparison.Ordinal));
        Assert.DoesNotContain(Drain(networkEvents), e => e.Network.Name.StartsWith(lab.Prefix, StringComparison.Ordinal));
        Assert.Equal(uuidsBefore, await DomainUuidsAsync(objects.Domains));

        var status = await lab.RunCheckedAsync([.. lab.Args("status"), "-o", "json"]);
        using (var document = JsonDocument.Parse(status.Stdout))
        {
            var nodes = document.RootElement.GetProperty("nodes").EnumerateArray().ToList();
            Assert.Equal(2, nodes.Count);
            Assert.All(nodes, n => Assert.Equal("shut off", n.GetProperty("state").GetString()));
            Assert.All(nodes, n => Assert.Equal(3, n.GetProperty("interfaces").GetArrayLength()));
        }

        // A changed definition is itemised against what libvirt returns (its units and defaults are no change).
        var changed = await lab.RunCheckedAsync([.. lab.Args("plan"), "--prefix", lab.Prefix, "--topology-nodes", "compute:2", "-e", "override.compute.memory=256",
            "-e", "override.compute.disks.disk1.size=1G", "-e", "override.networks.net1.mtu=9000", "-o", "json"]);
        using (var planned = JsonDocument.Parse(changed.Stdout))
        {
            var changes = planned.RootElement.GetProperty("changes").EnumerateArray().Where(c => c.GetProperty("action").GetString() != "unchanged").ToList();
            string Fields(JsonElement change) => string.Join("; ", change.GetProperty("changed").EnumerateArray()
                .Select(f => $"{f.GetProperty("field").GetString()}: {(f.TryGetProperty("from", out var from) ? from.GetString() : "-")} -> {f.GetProperty("to").GetString()}"));
            Assert.Equal([$"domain {lab.Prefix}-compute-0", $"domain {lab.Prefix}-compute-1", $"network {lab.Prefix}-data"],
                changes.Select(c => $"{c.GetProperty("kind").GetString()} {c.GetProperty("name").GetString()}").Order());
            Assert.All(changes.Where(c => c.GetProperty("kind").GetString() == "domain"), c =>
            {
                Assert.Equal("memory: 128 MiB -> 256 MiB", Fields(c));
                Assert.StartsWith("definition changed: memory 128 MiB → 256 MiB", c.GetProperty("reason").GetString(), StringComparison.Ordinal);
            });
            Assert.Equal("mtu: - -> 9000", Fields(changes.Single(c => c.GetProperty("kind").GetString() == "network")));
        }
        // What up would refuse before any change, plan reports (and exits 0).
        var shrinking = await lab.RunCheckedAsync([.. lab.Args("plan"), "--prefix", lab.Prefix, "--topology-nodes", "compute:2", "-e", "override.compute.memory=128",
            "-e", "override.compute.disks.disk1.size=512M"]);
        Assert.Contains("up would stop: this run would recreate 2 existing disk(s)", shrinking.Output, StringComparison.Ordinal);
        Assert.Contains("shrinking a disk is not possible in place: recreated (1G → 512M)", shrinking.Output, StringComparison.Ordinal);

        await lab.RunCheckedAsync(lab.Args("down"));
        var after = await lab.ObjectsAsync();
        Assert.Empty(after.Domains);
        Assert.Empty(after.Networks);
        Assert.Empty(after.Volumes);
        Assert.False(File.Exists(Path.Combine(lab.WorkspaceDirectory, "hosts")));
        Assert.Equal(string.Empty, (await sandbox.RunAsync($"ls /var/lib/vmetal/workspaces/{lab.Workspace}.json 2>/dev/null", sudo: true)).Stdout);
    }

    [Fact]
    public async Task Every_defined_domain_and_network_passes_virt_xml_validate()
    {
        await using var lab = new TestLab(sandbox, "xml");
        await lab.RunCheckedAsync(lab.UpArgs("--topology-nodes", "controller:1,compute:1", "-e", "override.controller.memory=128",
            "-e", "override.compute.memory=128", "-e", "override.controller.disks.disk1.size=1G", "-e", "override.compute.disks.disk1.size=1G",
            "--bootmode", "uefi"));
        using var directory = new TempDirectory();
        var objects = await lab.ObjectsAsync();
        foreach (var (kind, names, schema) in new[] { ("dumpxml", objects.Domains, "domain"), ("net-dumpxml", objects.Networks, "network") })
        {
            foreach (var name in names)
            {
                var file = directory.File($"{name}.xml");
                await File.WriteAllTextAsync(file, await sandbox.VirshAsync(kind, name));
                var validation = await ProcessRunner.RunAsync("virt-xml-validate", file, schema);
                Assert.True(validation.ExitCode == 0, $"{name}: {validation.Output}");
            }
        }
        Assert.Equal(2, objects.Domains.Count);
        Assert.Contains("OVMF_CODE", await sandbox.VirshAsync("dumpxml", $"{lab.Prefix}-compute-0"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Changing_counts_adds_and_removes_nodes_and_remove_nodes_sticks()
    {
        await using var lab = new TestLab(sandbox, "count");
        await lab.RunCheckedAsync(lab.UpArgs(TestLab.SmallTopology));

        await lab.RunCheckedAsync(lab.UpArgs("--topology-nodes", "compute:3", "-e", "override.compute.memory=128", "-e", "override.compute.disks.disk1.size=1G"));
        Assert.Equal(3, (await lab.ObjectsAsync()).Domains.Count);

        var removal = await lab.RunAsync([.. lab.Args("remove-nodes"), $"{lab.Prefix}-compute-1"]);
        Assert.Equal(0, removal.ExitCode);
        var afterRemoval = await lab.ObjectsAsync();
        Assert.Equal([$"{lab.Prefix}-compute-0", $"{lab.Prefix}-compute-2"], afterRemoval.Domains);
        Assert.DoesNotContain($"{lab.Prefix}-compute-1-disk1.qcow2", afterRemoval.Volumes);
        // The outputs follow: Ironic and Ansible are not handed a node that is gone.
        foreach (var output in new[] { "nodes.json", "instackenv.json", "state.json", "hosts" })
        {
            var text = File.ReadAllText(Path.Combine(lab.WorkspaceDirectory, output));
            Assert.DoesNotContain($"{lab.Prefix}-compute-1", text, StringComparison.Ordinal);
            Assert.Contains($"{lab.Prefix}-compute-2", text, StringComparison.Ordinal);
        }
        using (var nodes = JsonDocument.Parse(File.ReadAllText(Path.Combine(lab.WorkspaceDirectory, "nodes.json"))))
            Assert.Equal(2, nodes.RootElement.GetProperty("nodes").GetArrayLength());
        using (var state = lab.State())
            Assert.Equal(2 * 128, state.RootElement.GetProperty("totals").GetProperty("memoryMiB").GetInt64());
        // Removing it again (a retried CI step) changes nothing and succeeds.
        var repeated = await lab.RunAsync([.. lab.Args("remove-nodes"), $"{lab.Prefix}-compute-1"]);
        Assert.True(repeated.ExitCode == 0, repeated.Stderr);
        Assert.Equal(afterRemoval.Domains, (await lab.ObjectsAsync()).Domains);

        var again = await lab.RunCheckedAsync([.. lab.UpArgs("--topology-nodes", "compute:3", "-e", "override.compute.memory=128", "-e", "override.compute.disks.disk1.size=1G"), "-o", "json"]);
        using (var rerun = JsonDocument.Parse(again.Stdout))
            Assert.DoesNotContain(rerun.RootElement.GetProperty("changes").EnumerateArray(), c => c.GetProperty("action").GetString() == "create");
        Assert.Equal(2, (await lab.ObjectsAsync()).Domains.Count);

        await lab.RunCheckedAsync(lab.UpArgs(TestLab.SmallTopology));
        Assert.Equal([$"{lab.Prefix}-compute-0"], (await lab.ObjectsAsync()).Domains);

        var unknown = await lab.RunAsync([.. lab.Args("remove-nodes"), "no-such-node"]);
        Assert.Equal(2, unknown.ExitCode);
        Assert.Contains("no node no-such-node", unknown.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_bridged_network_onto_a_missing_host_bridge_is_refused_before_any_change()
    {
        await using var lab = new TestLab(sandbox, "brg");
        using var directory = new TempDirectory();
        var layout = directory.File("bridged.yml");
        await File.WriteAllTextAsync(layout, "networks:\n  net1:\n    name: data\n    ip_address: \"192.168.{{ data_net }}.254\"\n    netmask: 255.255.255.0\n" +
            "  net2:\n    name: uplink\n    forward: bridge\n    bridge: nosuchbr9\n" +
            "nodes:\n  default:\n    interfaces:\n      - network: data\n      - network: uplink\n", TestContext.Current.CancellationToken);
        string[] topology = ["--topology-nodes", "compute:1", "-e", "override.compute.memory=128", "-e", "override.compute.disks.disk1.size=1G",
            "--topology-network", layout];

        // Without the check, libvirt starts the network and fails only at the VM's start ("Cannot get interface MTU").
        var up = await lab.RunAsync([.. lab.UpArgs(topology), "--start", "--skip-checks"]);
        var plan = await lab.RunCheckedAsync([.. lab.Args("plan"), "--prefix", lab.Prefix, .. topology]);

        Assert.True(up.ExitCode == 2, up.Output);
        Assert.Contains($"network '{lab.Prefix}-uplink' forwards to host bridge 'nosuchbr9', which does not exist on", up.Stderr, StringComparison.Ordinal);
        Assert.Contains("nothing was changed", up.Stderr, StringComparison.Ordinal);
        var objects = await lab.ObjectsAsync();
        Assert.Empty(objects.Domains);
        Assert.Empty(objects.Networks);
        Assert.Empty(objects.Volumes);
        Assert.Equal(string.Empty, (await sandbox.RunAsync($"ls /var/lib/vmetal/workspaces/{lab.Workspace}.json 2>/dev/null", sudo: true)).Stdout);
        Assert.Contains("up would stop: network", plan.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_generated_inventory_works_with_ansible_and_describes_the_lab()
    {
        await using var lab = new TestLab(sandbox, "inv");
        var up = await lab.RunCheckedAsync(lab.UpArgs(TestLab.SmallTopology));
        // --bmc none: said once, on stderr.
        Assert.Equal(1, up.Stderr.Split("bare-metal node(s) have no BMC").Length - 1);
        var inventory = Path.Combine(lab.WorkspaceDirectory, "hosts");

        var ping = await ProcessRunner.RunAsync("ansible", ["-i", inventory, "hypervisor", "-m", "ping", "-o"],
            environment: new Dictionary<string, string?> { ["ANSIBLE_NOCOLOR"] = "1", ["ANSIBLE_PYTHON_INTERPRETER"] = null },
            timeout: TimeSpan.FromMinutes(2));
        var listing = await ProcessRunner.RunAsync("ansible-inventory", "-i", inventory, "--list");

        Assert.True(ping.ExitCode == 0, ping.Output);
        Assert.Contains("\"ping\": \"pong\"", ping.Stdout, StringComparison.Ordinal);
        using var groups = JsonDocument.Parse(listing.Stdout);
        Assert.Equal([$"{lab.Prefix}-compute-0", $"{lab.Prefix}-compute-1"],
            groups.RootElement.GetProperty("compute").GetProperty("hosts").EnumerateArray().Select(h => h.GetString()!).Order());
        // A bare-metal lab has no workspace key: no host may point Ansible at a key file that is not there.
        var keys = groups.RootElement.GetProperty("_meta").GetProperty("hostvars").EnumerateObject()
            .Select(host => host.Value.TryGetProperty("ansible_ssh_private_key_file", out var key) ? key.GetString()! : null).OfType<string>().ToList();
        Assert.NotEmpty(keys);
        Assert.All(keys, key => Assert.True(File.Exists(key), $"the inventory references {key}, which does not exist"));
        using var state = lab.State();
        Assert.Equal(2, state.RootElement.GetProperty("nodes").GetArrayLength());
        using var instack = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(lab.WorkspaceDirectory, "instackenv.json")));
        var macs = instack.RootElement.GetProperty("nodes").EnumerateArray().Select(n => n.GetProperty("mac")[0].GetString()).ToList();
        Assert.All(instack.RootElement.GetProperty("nodes").EnumerateArray(), n => Assert.Equal("manual-management", n.GetProperty("pm_type").GetString()));
        var xml = await sandbox.VirshAsync("dumpxml", $"{lab.Prefix}-compute-0");
        Assert.Contains(macs, mac => xml.Contains(mac!, StringComparison.Ordinal));
    }

    private async Task<IReadOnlyList<string>> DomainUuidsAsync(IEnumerable<string> domains)
    {
        var uuids = new List<string>();
        foreach (var domain in domains)
            uuids.Add((await sandbox.VirshAsync("domuuid", domain)).Trim());
        return uuids;
    }

    private static List<T> Drain<T>(LibvirtEventStream<T> stream)
    {
        var events = new List<T>();
        while (stream.Reader.TryRead(out var item))
            events.Add(item);
        return events;
    }
}
