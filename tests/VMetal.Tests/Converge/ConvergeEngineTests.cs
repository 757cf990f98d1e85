using VMetal.Converge;
using VMetal.Rendering;
using VMetal.Topology;

namespace VMetal.Tests.Converge;

/// <summary>The whole converge pipeline (topology → plan → apply → record) against an in-memory hypervisor.</summary>
public sealed class ConvergeEngineTests
{
    private readonly FakeHypervisor _hypervisor = new();
    private readonly FakeRecordStore _records = new();
    private readonly ListProgress _progress = new();

    private ConvergeEngine Engine() => new(_hypervisor, _records, _ => Task.FromResult<IAsyncDisposable>(new NoLock()));

    private static ConvergeRequest Request(string nodes = "controller:3,compute:2", string workspace = "ws", string? prefix = null,
        string[]? extra = null, string? image = null, bool start = false) => new()
    {
        Topology = new TopologyRequest
        {
            Workspace = workspace,
            NodeCounts = nodes,
            Prefix = prefix,
            BaseImage = image,
            ExtraVars = extra ?? ["override.controller.memory=256", "override.compute.memory=256"],
        },
        StartBareMetal = start,
    };

    private Task<ConvergeResult> Up(ConvergeRequest request) => Engine().ConvergeAsync(request, _progress, CancellationToken.None);

    [Fact]
    public async Task A_fresh_up_creates_the_pool_networks_disks_and_powered_off_bare_metal_domains()
    {
        var result = await Up(Request());

        Assert.Equal(1 + 3 + 5 + 5, result.Plan.Count(ChangeAction.Create));
        Assert.Equal(["data", "external", "management"], _hypervisor.Networks.Keys.Order());
        Assert.All(_hypervisor.Networks.Values, n => Assert.True(n.Active && n.Autostart));
        Assert.Equal(5, _hypervisor.Volumes.Count);
        Assert.Equal(["compute-0", "compute-1", "controller-0", "controller-1", "controller-2"], _hypervisor.Domains.Keys.Order());
        Assert.All(_hypervisor.Domains.Values, d => Assert.False(d.Running));
        var record = _records.Records["ws"];
        Assert.Equal(5, record.Volumes.Count);
        Assert.Equal(3, record.Networks.Count);
        Assert.Equal((0, 24), (record.NetOctet, record.DataNetOctet));
        Assert.Contains(result.Warnings, w => w.Contains("software emulation", StringComparison.Ordinal));
        Assert.All(_hypervisor.Domains.Values, d => Assert.Contains("type=\"qemu\"", d.Xml, StringComparison.Ordinal));
    }

    /// <summary>`up` says how many changes it applied: each planned change once, though a started domain is defined, then started.</summary>
    [Fact]
    public async Task Each_planned_change_counts_once_as_applied()
    {
        var result = await Up(Request(start: true));

        Assert.Equal(1 + 3 + 5 + 5, result.ChangesApplied);
        Assert.Equal(result.Plan.Changes.Count(c => c.Action != ChangeAction.Unchanged), result.ChangesApplied);
    }

    /// <summary>Only --net-subnet given again: the data subnet stays the lab's, instead of moving to the default and replacing its network.</summary>
    [Fact]
    public async Task One_subnet_given_for_an_existing_lab_keeps_the_other_one()
    {
        var first = Request(prefix: "ab");
        await Up(first with { Topology = first.Topology with { Octets = new NetworkOctets(61, 62), GivenOctets = (61, 62) } });

        var netOnly = Request(prefix: "ab");
        var result = await Up(netOnly with { Topology = netOnly.Topology with { Octets = new NetworkOctets(63, 24), GivenOctets = (63, null) } });

        Assert.Equal(ChangeAction.Unchanged, Assert.Single(result.Plan.Changes, c => c.Name == "ab-data").Action);
        Assert.Equal(ChangeAction.Replace, Assert.Single(result.Plan.Changes, c => c.Name == "ab-management").Action);
        Assert.Equal((63, 62), (_records.Records["ws"].NetOctet, _records.Records["ws"].DataNetOctet));
    }

    [Fact]
    public async Task With_start_bare_metal_domains_are_started_after_they_are_defined()
    {
        await Up(Request(start: true));

        Assert.All(_hypervisor.Domains.Values, d => Assert.True(d.Running));
        var calls = _hypervisor.MutatingCalls.ToList();
        Assert.True(calls.FindLastIndex(c => c.StartsWith("define", StringComparison.Ordinal)) < calls.FindIndex(c => c.StartsWith("start", StringComparison.Ordinal)));
        Assert.True(calls.FindLastIndex(c => c.StartsWith("vol-create", StringComparison.Ordinal)) < calls.FindIndex(c => c.StartsWith("define", StringComparison.Ordinal)));
        Assert.True(calls.FindLastIndex(c => c.StartsWith("net-start", StringComparison.Ordinal)) < calls.FindIndex(c => c.StartsWith("define", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task A_second_up_with_the_same_input_plans_only_unchanged_and_calls_nothing()
    {
        await Up(Request());
        var callsAfterFirst = _hypervisor.Calls.Count;
        var saves = _records.Saves;

        var second = await Up(Request());

        Assert.True(second.Plan.IsNoOp, string.Join('\n', second.Plan.Changes));
        Assert.Equal(callsAfterFirst, _hypervisor.Calls.Count);
        Assert.Equal(saves, _records.Saves);
    }

    [Fact]
    public async Task Raising_a_count_adds_only_the_new_node()
    {
        await Up(Request());
        var before = _hypervisor.Calls.Count;

        var result = await Up(Request("controller:3,compute:3"));

        var newCalls = _hypervisor.MutatingCalls.Skip(before).ToList();
        Assert.Equal(["vol-create compute-2-disk1.qcow2", "define compute-2"], newCalls);
        Assert.Equal(2, result.Plan.Count(ChangeAction.Create));
        Assert.Equal(0, result.Plan.Count(ChangeAction.Update));
    }

    [Fact]
    public async Task Lowering_a_count_removes_the_node_its_disk_and_nothing_else()
    {
        await Up(Request());

        await Up(Request("controller:3,compute:1"));

        Assert.DoesNotContain("compute-1", _hypervisor.Domains.Keys);
        Assert.DoesNotContain("compute-1-disk1.qcow2", _hypervisor.Volumes.Keys);
        Assert.DoesNotContain("compute-1-disk1.qcow2", _records.Records["ws"].Volumes.Keys);
        Assert.Equal(4, _hypervisor.Domains.Count);
    }

    [Fact]
    public async Task Changed_memory_redefines_the_domains_and_leaves_disks_alone()
    {
        await Up(Request());
        var before = _hypervisor.Calls.Count;

        var result = await Up(Request(extra: ["override.controller.memory=512", "override.compute.memory=256"]));

        Assert.Equal(3, result.Plan.Of(ResourceKind.Domain, ChangeAction.Update).Count());
        Assert.All(_hypervisor.MutatingCalls.Skip(before), call => Assert.StartsWith("define controller-", call, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_bigger_disk_is_grown_in_place_and_a_smaller_one_recreated_with_its_domain()
    {
        await Up(Request());

        var grow = await Up(Request(extra: ["override.controller.memory=256", "override.compute.memory=256", "override.compute.disks.disk1.size=80G"]));
        var grown = _hypervisor.Volumes["compute-0-disk1.qcow2"];
        string[] smaller = ["override.controller.memory=256", "override.compute.memory=256", "override.compute.disks.disk1.size=10G"];
        var calls = _hypervisor.Calls.Count;
        var refused = await Assert.ThrowsAsync<VMetalException>(() => Up(Request(extra: smaller)));
        Assert.Equal(calls, _hypervisor.Calls.Count);
        var shrink = await Up(Request(extra: smaller) with { RecreateDisks = true });

        Assert.Equal(2, grow.Plan.Of(ResourceKind.Volume, ChangeAction.Update).Count());
        Assert.Equal(0, grow.Plan.Of(ResourceKind.Domain).Count(c => c.Action != ChangeAction.Unchanged));
        Assert.Equal(80L << 30, grown);
        Assert.Equal(2, shrink.Plan.Of(ResourceKind.Volume, ChangeAction.Replace).Count());
        Assert.Equal(2, shrink.Plan.Of(ResourceKind.Domain, ChangeAction.Replace).Count());
        Assert.Equal(10L << 30, _hypervisor.Volumes["compute-0-disk1.qcow2"]);
        Assert.Equal(FailureKind.BadInput, refused.Kind);
        Assert.Contains("compute-0-disk1.qcow2 (shrinking", refused.Message, StringComparison.Ordinal);
        Assert.Contains("--recreate-disks", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Subnets_that_overlap_a_network_already_on_the_host_are_refused_before_any_change()
    {
        _hypervisor.AddForeignNetwork("someone-else", "192.168.24.0/25");

        var error = await Assert.ThrowsAsync<VMetalException>(() => Up(Request()));

        Assert.Equal(FailureKind.BadInput, error.Kind);
        Assert.Contains("data 192.168.24.0/24 overlaps someone-else 192.168.24.0/25", error.Message, StringComparison.Ordinal);
        Assert.Empty(_hypervisor.Calls);
    }

    [Fact]
    public async Task Another_prefix_in_a_workspace_that_holds_a_lab_is_refused_before_any_change()
    {
        await Up(Request(prefix: "aa"));
        var calls = _hypervisor.Calls.Count;

        var error = await Assert.ThrowsAsync<VMetalException>(() => Up(Request(prefix: "bb")));
        var plan = await Assert.ThrowsAsync<VMetalException>(() => Up(Request(prefix: null) with { PlanOnly = true }));

        Assert.Equal(FailureKind.BadInput, error.Kind);
        Assert.Contains("holds a lab with prefix 'aa'", error.Message, StringComparison.Ordinal);
        Assert.Contains("without a prefix", plan.Message, StringComparison.Ordinal);
        Assert.Equal(calls, _hypervisor.Calls.Count);
    }

    [Fact]
    public async Task Os_nodes_get_an_overlay_are_started_and_keep_fixed_leases_added_live()
    {
        await Up(Request("undercloud:1,compute:1", image: "/var/lib/libvirt/images/base.qcow2",
            extra: ["override.undercloud.memory=512", "override.compute.memory=256"]));
        Assert.True(_hypervisor.Domains["undercloud-0"].Running);
        Assert.Single(_hypervisor.Networks["management"].Hosts);

        var result = await Up(Request("undercloud:2,compute:1", image: "/var/lib/libvirt/images/base.qcow2",
            extra: ["override.undercloud.memory=512", "override.compute.memory=256"]));

        Assert.Contains(result.Plan.Changes, c => c.Kind == ResourceKind.DhcpHost && c.Action == ChangeAction.Create);
        Assert.Equal(ChangeAction.Unchanged, result.Plan.Changes.Single(c => c is { Kind: ResourceKind.Network, Name: "management" }).Action);
        Assert.Equal(2, _hypervisor.Networks["management"].Hosts.Count);
        Assert.Contains(_hypervisor.MutatingCalls, c => c.StartsWith("dhcp-add management", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_os_node_found_shut_off_is_started_again()
    {
        var request = Request("undercloud:1", image: "/base.qcow2", extra: ["override.undercloud.memory=512"]);
        await Up(request);
        _hypervisor.Domains["undercloud-0"] = _hypervisor.Domains["undercloud-0"] with { Running = false };

        var result = await Up(request);

        Assert.Equal("OS node is shut off: start it", result.Plan.Changes.Single(c => c.Kind == ResourceKind.Domain).Reason);
        Assert.True(_hypervisor.Domains["undercloud-0"].Running);
    }

    [Fact]
    public async Task Recreating_a_disk_is_refused_with_what_changed_in_it()
    {
        await Up(Request("undercloud:1", image: "/images/a.qcow2", extra: ["override.undercloud.memory=512"]));
        var calls = _hypervisor.MutatingCalls.Count;

        var error = await Assert.ThrowsAsync<VMetalException>(() => Up(Request("undercloud:1", image: "/images/b.qcow2", extra: ["override.undercloud.memory=512"])));

        Assert.Equal(FailureKind.BadInput, error.Kind);
        Assert.Contains("undercloud-0-disk1.qcow2 (definition changed: backing image /images/a.qcow2 → /images/b.qcow2: the disk is recreated", error.Message, StringComparison.Ordinal);
        Assert.Equal(calls, _hypervisor.MutatingCalls.Count);
    }

    [Fact]
    public async Task Objects_with_our_names_that_we_do_not_own_are_never_touched()
    {
        _hypervisor.AddForeignDomain("compute-0");
        _hypervisor.Networks["management"] = ("<network><name>management</name></network>", true, true, []);

        var error = await Assert.ThrowsAsync<OwnershipConflictException>(() => Up(Request()));

        Assert.Equal(FailureKind.BadInput, error.Kind);
        Assert.Contains(error.Conflicts, c => c.Contains("domain 'compute-0'", StringComparison.Ordinal));
        Assert.Contains(error.Conflicts, c => c.Contains("network 'management'", StringComparison.Ordinal));
        Assert.Empty(_hypervisor.Calls);
    }

    [Fact]
    public async Task Another_workspace_with_the_same_names_is_a_conflict_not_a_takeover()
    {
        await Up(Request(workspace: "first"));

        var error = await Assert.ThrowsAsync<OwnershipConflictException>(() => Up(Request(workspace: "second")));

        Assert.Contains(error.Conflicts, c => c.Contains("belongs to workspace 'first'", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_second_prefixed_lab_gets_subnets_that_collide_with_nothing()
    {
        _hypervisor.AddForeignNetwork("someone-else", "172.16.20.0/24");
        await Up(Request(workspace: "a", prefix: "aa"));
        await Up(Request(workspace: "b", prefix: "bb"));

        var a = _records.Records["a"];
        var b = _records.Records["b"];
        Assert.Equal((10, 24), (a.NetOctet, a.DataNetOctet));
        Assert.Equal((30, 44), (b.NetOctet, b.DataNetOctet)); // 20 is taken by someone-else's 172.16.20.0/24
        Assert.Contains("aa-management", _hypervisor.Networks.Keys);
        Assert.Contains("bb-compute-0", _hypervisor.Domains.Keys);
    }

    [Fact]
    public async Task An_interrupted_run_leaves_every_created_object_recorded_and_the_next_run_finishes_it()
    {
        _hypervisor.FailOn = "define compute-1";
        await Assert.ThrowsAsync<ApplyFailedException>(() => Up(Request()));
        Assert.Equal(5, _records.Records["ws"].Volumes.Count); // written ahead of creation
        Assert.DoesNotContain("compute-1", _hypervisor.Domains.Keys);

        _hypervisor.FailOn = null;
        var result = await Up(Request());

        Assert.Equal(["define compute-1"], result.Plan.Changes.Where(c => c.Action != ChangeAction.Unchanged).Select(c => $"define {c.Name}"));
        Assert.Equal(5, _hypervisor.Domains.Count);
        Assert.True((await Up(Request())).Plan.IsNoOp);
    }

    [Fact]
    public async Task A_changed_definition_says_which_fields_changed()
    {
        await Up(Request());

        var plan = (await Engine().ConvergeAsync(Request(extra: ["override.controller.memory=256", "override.compute.memory=512"]) with { PlanOnly = true },
            _progress, CancellationToken.None)).Plan;

        var change = Assert.Single(plan.Changes, c => c.Name == "compute-0");
        Assert.Equal(ChangeAction.Update, change.Action);
        Assert.Equal("definition changed: memory 256 MiB → 512 MiB; redefined", change.Reason);
        Assert.Equal([new FieldChange("memory", "256 MiB", "512 MiB")], change.Fields);
        Assert.Empty(plan.Changes.Single(c => c.Name == "controller-0").Fields);
    }

    [Fact]
    public async Task Down_removes_everything_the_workspace_owns_and_nothing_else()
    {
        _hypervisor.AddForeignDomain("keep-me");
        _hypervisor.AddForeignNetwork("default", "192.168.122.0/24");
        _hypervisor.Volumes["someone-elses.qcow2"] = 1;
        await Up(Request());

        await Engine().DownAsync("ws", _progress, CancellationToken.None);

        Assert.Equal(["keep-me"], _hypervisor.Domains.Keys);
        Assert.Equal(["default"], _hypervisor.Networks.Keys);
        Assert.Equal(["someone-elses.qcow2"], _hypervisor.Volumes.Keys);
        Assert.Empty(_records.Records);
    }

    [Fact]
    public async Task Down_status_and_remove_nodes_with_the_labs_prefix_work_with_another_are_refused_before_any_change()
    {
        await Up(Request(workspace: "ws", prefix: "ab"));
        await Up(Request(workspace: "other", prefix: "cd", nodes: "compute:1", extra: ["override.compute.memory=256"]));
        var calls = _hypervisor.MutatingCalls.Count;

        var down = await Assert.ThrowsAsync<VMetalException>(() => Engine().DownAsync("ws", "cd", _progress, CancellationToken.None));
        var remove = await Assert.ThrowsAsync<VMetalException>(() => Engine().RemoveNodesAsync("ws", "", ["ab-compute-1"], _progress, CancellationToken.None));
        var status = await Assert.ThrowsAsync<VMetalException>(() => Engine().StatusAsync("ws", "zz", CancellationToken.None));

        Assert.Equal(FailureKind.BadInput, down.Kind);
        Assert.Equal("workspace 'ws' holds the lab with prefix 'ab', not with prefix 'cd': nothing was done. " +
                     "The lab with prefix 'cd' is workspace 'other': pass --workspace", down.Message);
        Assert.StartsWith("workspace 'ws' holds the lab with prefix 'ab', not without a prefix", remove.Message, StringComparison.Ordinal);
        Assert.EndsWith("No workspace on the host holds a lab with prefix 'zz': pass the --workspace of that lab, or --prefix ab for this one",
            status.Message, StringComparison.Ordinal);
        Assert.Equal(calls, _hypervisor.MutatingCalls.Count);
        Assert.Contains("ab-compute-0", _hypervisor.Domains.Keys);

        Assert.Equal("ab", (await Engine().StatusAsync("ws", "ab", CancellationToken.None)).Record?.Prefix);
        await Engine().RemoveNodesAsync("ws", "ab", ["ab-compute-1"], _progress, CancellationToken.None);
        await Engine().DownAsync("ws", "ab", _progress, CancellationToken.None);
        Assert.DoesNotContain(_hypervisor.Domains.Keys, name => name.StartsWith("ab-", StringComparison.Ordinal));
        // An empty workspace has no prefix to contradict: a repeated --kill is fine.
        await Engine().DownAsync("ws", "cd", _progress, CancellationToken.None);
        Assert.Contains("cd-compute-0", _hypervisor.Domains.Keys);
    }

    [Fact]
    public async Task Nodes_keep_the_order_they_joined_the_lab_in_whatever_order_the_topology_names_them()
    {
        static IEnumerable<string> Names(ConvergeResult result) => result.DomainsInLabOrder.Select(d => d.Name);

        Assert.Equal(["compute-0", "compute-1"], Names(await Up(Request(nodes: "compute:2"))));

        // A type added later comes after the nodes the lab had, though --topology-nodes names it first.
        var added = await Up(Request(nodes: "controller:1,compute:2"));
        Assert.Equal("controller-0", added.Desired.Domains[0].Name);
        Assert.Equal(["compute-0", "compute-1", "controller-0"], Names(added));

        // The same nodes named in another order: the same order, and still a no-op that writes nothing.
        var saves = _records.Saves;
        var same = await Up(Request(nodes: "compute:2,controller:1"));
        Assert.True(same.Plan.IsNoOp);
        Assert.Equal(saves, _records.Saves);
        Assert.Equal(["compute-0", "compute-1", "controller-0"], Names(same));

        // A raised count appends; a lowered one drops the node, which comes back last.
        Assert.Equal(["compute-0", "compute-1", "controller-0", "compute-2"], Names(await Up(Request(nodes: "controller:1,compute:3"))));
        Assert.Equal(["compute-0", "controller-0"], Names(await Up(Request(nodes: "controller:1,compute:1"))));
        Assert.Equal(["compute-0", "controller-0", "compute-1"], Names(await Up(Request(nodes: "controller:1,compute:2"))));

        // status lists them the same way (by name, compute-1 would come before controller-0).
        Assert.Equal(["compute-0", "controller-0", "compute-1"], (await Engine().StatusAsync("ws", null, CancellationToken.None)).Domains.Select(d => d.Name));

        // The order survives the record's trip through its JSON file on the host.
        var json = System.Text.Json.JsonSerializer.Serialize(_records.Records["ws"], WorkspaceRecord.Json);
        Assert.Equal(["compute-0", "controller-0", "compute-1"], System.Text.Json.JsonSerializer.Deserialize<WorkspaceRecord>(json, WorkspaceRecord.Json)!.NodeOrder);
    }

    [Fact]
    public async Task A_record_of_an_older_version_gets_the_node_order_of_the_topology_once()
    {
        await Up(Request(nodes: "controller:1,compute:1"));
        _records.Records["ws"] = _records.Records["ws"] with { NodeOrder = [] };
        var saves = _records.Saves;

        var result = await Up(Request(nodes: "controller:1,compute:1"));

        Assert.True(result.Plan.IsNoOp);
        Assert.Equal(["controller-0", "compute-0"], _records.Records["ws"].NodeOrder);
        Assert.True(_records.Saves > saves);
        saves = _records.Saves;
        await Up(Request(nodes: "compute:1,controller:1"));
        Assert.Equal(saves, _records.Saves);
        Assert.Equal(["controller-0", "compute-0"], _records.Records["ws"].NodeOrder);
    }

    [Fact]
    public async Task The_prefix_check_alone_refuses_as_down_does_without_the_lock_and_without_changes()
    {
        await Up(Request(workspace: "ws", prefix: "ab"));
        var calls = _hypervisor.MutatingCalls.Count;
        // down and remove-nodes call it before they announce work: it must not wait for (or need) the host lock.
        var engine = new ConvergeEngine(_hypervisor, _records, _ => throw new InvalidOperationException("the check took the lock"));

        var check = await Assert.ThrowsAsync<VMetalException>(() => engine.CheckPrefixAsync("ws", "cd", CancellationToken.None));
        var down = await Assert.ThrowsAsync<VMetalException>(() => Engine().DownAsync("ws", "cd", _progress, CancellationToken.None));

        Assert.Equal(FailureKind.BadInput, check.Kind);
        Assert.Equal(down.Message, check.Message);
        Assert.Equal(calls, _hypervisor.MutatingCalls.Count);
        await engine.CheckPrefixAsync("ws", "ab", CancellationToken.None);
        await engine.CheckPrefixAsync("ws", null, CancellationToken.None);
        await engine.CheckPrefixAsync("empty", "cd", CancellationToken.None);
        // Without its record, the lab's domains still say its prefix.
        _records.Records.TryRemove("ws", out _);
        await Assert.ThrowsAsync<VMetalException>(() => engine.CheckPrefixAsync("ws", "cd", CancellationToken.None));
    }

    [Fact]
    public async Task Cleanup_with_a_prefix_matches_it_exactly()
    {
        // The unprefixed lab first: it takes infrared's fixed subnets, prefixed labs then pick free ones.
        await Up(Request(workspace: "three"));
        await Up(Request(workspace: "one", prefix: "comp"));
        await Up(Request(workspace: "two", prefix: "compx"));

        await Engine().CleanupAsync("comp", _progress, CancellationToken.None);

        Assert.DoesNotContain(_hypervisor.Domains.Keys, name => name.StartsWith("comp-", StringComparison.Ordinal));
        Assert.Contains("compx-compute-0", _hypervisor.Domains.Keys);
        Assert.Contains("compute-0", _hypervisor.Domains.Keys);
        Assert.Equal(["three", "two"], _records.Records.Keys.Order());
    }

    [Fact]
    public async Task Removed_nodes_stay_out_until_restored()
    {
        await Up(Request());

        await Engine().RemoveNodesAsync("ws", ["compute-1"], _progress, CancellationToken.None);
        var again = await Up(Request());
        var restored = await Up(Request() with { RestoreRemovedNodes = true });

        Assert.True(again.Plan.IsNoOp);
        Assert.Contains(again.Warnings, w => w.Contains("compute-1", StringComparison.Ordinal));
        // up's "is up to date (…)" line: the lab has 4 nodes, not the topology's 5.
        Assert.Equal("4 nodes, 3 networks; 1 removed, which up --restore-nodes brings back", again.Summary);
        Assert.Equal("5 nodes, 3 networks", restored.Summary);
        Assert.Equal(["compute-1", "compute-1-disk1.qcow2"], restored.Plan.Changes.Where(c => c.Action == ChangeAction.Create).Select(c => c.Name).Order());
        Assert.Empty(_records.Records["ws"].RemovedNodes);
    }

    [Fact]
    public async Task Another_workspaces_unreadable_record_is_a_warning_not_a_blocker()
    {
        _records.MakeUnreadable("broken");

        var result = await Up(Request());
        await Engine().DownAsync("ws", _progress, CancellationToken.None);

        Assert.Contains(result.Warnings, w => w.Contains("broken.json is unreadable", StringComparison.Ordinal));
        Assert.Contains(_progress.Messages, m => m.Contains("workspace 'broken' is left alone", StringComparison.Ordinal));
        Assert.Empty(_hypervisor.Domains);
        Assert.True(_records.Unreadable.ContainsKey("broken"));
    }

    [Fact]
    public async Task An_unreadable_own_record_stops_up_before_anything_changes()
    {
        await Up(Request());
        _records.Records.TryRemove("ws", out _);
        _records.MakeUnreadable("ws");
        var calls = _hypervisor.Calls.Count;

        var error = await Assert.ThrowsAsync<VMetalException>(() => Up(Request()));
        var removeError = await Assert.ThrowsAsync<VMetalException>(() => Engine().RemoveNodesAsync("ws", ["compute-1"], _progress, CancellationToken.None));

        Assert.Equal(FailureKind.OperationFailed, error.Kind);
        Assert.Contains("ws.json", error.Message, StringComparison.Ordinal);
        Assert.Contains("vmetal down", error.Message, StringComparison.Ordinal);
        Assert.Contains("ws.json", removeError.Message, StringComparison.Ordinal);
        Assert.Equal(calls, _hypervisor.Calls.Count);
    }

    [Fact]
    public async Task Down_with_an_unreadable_own_record_removes_the_marked_objects_keeps_the_disks_and_sets_the_record_aside()
    {
        await Up(Request());
        _records.Records.TryRemove("ws", out _);
        _records.MakeUnreadable("ws");

        await Engine().DownAsync("ws", _progress, CancellationToken.None);
        var again = await Assert.ThrowsAsync<OwnershipConflictException>(() => Up(Request()));

        Assert.Equal("ws", Assert.Single(_records.SetAside).Workspace);
        Assert.Empty(_records.Unreadable);
        Assert.Contains(_progress.Messages, m => m.Contains("disks, if any, stay in the pool", StringComparison.Ordinal));
        // Domains and networks carry vmetal's mark, so they went; the disks are unproven, so they
        // stayed, and the next up refuses to adopt them rather than overwrite someone's data.
        Assert.Empty(_hypervisor.Domains);
        Assert.Empty(_hypervisor.Networks);
        Assert.Equal(5, _hypervisor.Volumes.Count);
        Assert.Equal(5, again.Conflicts.Count);
        Assert.All(again.Conflicts, c => Assert.Contains("volume", c, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Removing_an_unknown_node_is_bad_input_that_changes_nothing()
    {
        await Up(Request());
        var calls = _hypervisor.Calls.Count;

        var error = await Assert.ThrowsAsync<VMetalException>(() => Engine().RemoveNodesAsync("ws", ["compute-9"], _progress, CancellationToken.None));

        Assert.Equal(FailureKind.BadInput, error.Kind);
        Assert.Contains("compute-0", error.Message, StringComparison.Ordinal);
        Assert.Equal(calls, _hypervisor.Calls.Count);
    }

    [Fact]
    public async Task Removing_a_node_again_succeeds_and_changes_nothing()
    {
        // A CI job retrying remove-nodes (or infrared's --remove-nodes run twice) must not fail on a node already gone.
        await Up(Request());
        await Engine().RemoveNodesAsync("ws", ["compute-1"], _progress, CancellationToken.None);
        var calls = _hypervisor.MutatingCalls.Count;

        var again = await Engine().RemoveNodesAsync("ws", ["compute-1"], _progress, CancellationToken.None);
        var mixed = await Assert.ThrowsAsync<VMetalException>(() => Engine().RemoveNodesAsync("ws", ["compute-1", "compute-9"], _progress, CancellationToken.None));

        Assert.Empty(again.Plan.Changes);
        Assert.Equal(calls, _hypervisor.MutatingCalls.Count);
        Assert.Equal(["compute-1"], _records.Records["ws"].RemovedNodes);
        Assert.Equal(FailureKind.BadInput, mixed.Kind);
        Assert.Equal("no node compute-9 in workspace 'ws'; its nodes: compute-0, controller-0, controller-1, controller-2 (removed: compute-1)", mixed.Message);
    }

    [Fact]
    public async Task Removing_a_node_by_its_name_without_the_labs_prefix_names_the_node_meant()
    {
        await Up(Request(prefix: "ab"));
        var calls = _hypervisor.MutatingCalls.Count;

        var error = await Assert.ThrowsAsync<VMetalException>(() => Engine().RemoveNodesAsync("ws", "ab", ["compute-1"], _progress, CancellationToken.None));

        Assert.Equal(FailureKind.BadInput, error.Kind);
        Assert.EndsWith("; node names carry the lab's prefix: did you mean ab-compute-1?", error.Message, StringComparison.Ordinal);
        Assert.Equal(calls, _hypervisor.MutatingCalls.Count);
    }

    [Fact]
    public async Task Removing_a_node_from_an_empty_workspace_says_the_workspace_is_empty()
    {
        var error = await Assert.ThrowsAsync<VMetalException>(() => Engine().RemoveNodesAsync("ws", ["compute-9"], _progress, CancellationToken.None));

        Assert.Equal(FailureKind.BadInput, error.Kind);
        Assert.Equal("no node compute-9: the workspace has no nodes on this hypervisor (check --workspace and --host)", error.Message);
    }

    [Fact]
    public async Task Kvm_hosts_get_kvm_domains_without_a_warning()
    {
        _hypervisor.Kvm = true;

        var result = await Up(Request());

        Assert.All(_hypervisor.Domains.Values, d => Assert.Contains("type=\"kvm\"", d.Xml, StringComparison.Ordinal));
        Assert.DoesNotContain(result.Warnings, w => w.Contains("emulation", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Invalid_topologies_fail_before_the_host_is_touched()
    {
        var locked = false;
        var engine = new ConvergeEngine(_hypervisor, _records, _ =>
        {
            locked = true;
            return Task.FromResult<IAsyncDisposable>(new NoLock());
        });

        await Assert.ThrowsAsync<TopologyInvalidException>(() => engine.ConvergeAsync(Request("compute:x"), _progress, CancellationToken.None));

        Assert.False(locked);
        Assert.Empty(_hypervisor.Calls);
    }

    private sealed class NoLock : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    private sealed class ListProgress : IConvergeProgress
    {
        public List<string> Messages { get; } = [];

        public void Status(string message) => Messages.Add(message);

        public void Warning(string message) => Messages.Add("warning: " + message);

        public void Planned(Plan plan) => Messages.Add(plan.Summary);

        public void Applied(AppliedChange change) => Messages.Add(change.Change.ToString());
    }

    [Fact]
    public async Task Os_nodes_get_a_seed_volume_uploaded_after_it_is_created_and_a_new_key_rewrites_only_the_seed()
    {
        var request = Request("undercloud:1", image: "/base.qcow2", extra: ["override.undercloud.memory=512"]);
        var withKey = request with { Render = request.Render with { SeedAuthorizedKeys = ["ssh-rsa AAAA first"] } };

        var first = await Up(withKey);

        Assert.Equal("new cloud-init seed", first.Plan.Changes.Single(c => c.Name == "undercloud-0-seed.iso").Reason);
        var calls = _hypervisor.MutatingCalls.ToList();
        Assert.True(calls.IndexOf("vol-create undercloud-0-seed.iso") < calls.IndexOf("vol-upload undercloud-0-seed.iso"));
        Assert.True(calls.IndexOf("vol-upload undercloud-0-seed.iso") < calls.FindIndex(c => c.StartsWith("define", StringComparison.Ordinal)));
        var undercloud = (await Tests.Topology.Topologies.LoadAsync(withKey.Topology)).Nodes[0];
        Assert.Equal(VMetal.Images.NoCloudSeed.For(undercloud, ["ssh-rsa AAAA first"]), _hypervisor.Uploads["undercloud-0-seed.iso"]);
        Assert.Contains("undercloud-0-seed.iso", _records.Records["ws"].Volumes.Keys);
        Assert.True((await Up(withKey)).Plan.IsNoOp);

        var rekeyed = await Up(request with { Render = request.Render with { SeedAuthorizedKeys = ["ssh-rsa BBBB second"] } });

        var seed = rekeyed.Plan.Changes.Single(c => c.Name == "undercloud-0-seed.iso");
        Assert.Equal(ChangeAction.Replace, seed.Action);
        Assert.Equal(ChangeAction.Unchanged, rekeyed.Plan.Changes.Single(c => c.Kind == ResourceKind.Domain).Action);
        Assert.Equal(ChangeAction.Unchanged, rekeyed.Plan.Changes.Single(c => c.Name == "undercloud-0-disk1.qcow2").Action);
    }
}
