using VMetal.Cli.Commands;
using VMetal.Converge;
using VMetal.Rendering;
using VMetal.Topology;

namespace VMetal.Cli.Tests.Virsh;

/// <summary>
/// --topology-extend: counts read back from a lab, merged with the requested ones, and the
/// guard that refuses an extend that would change what exists. Plans come from the real planner
/// against a lab "observed" exactly as it was built.
/// </summary>
public sealed class TopologyExtensionTests
{
    private const string Workspace = "ws";
    private const string Prefix = "ab";

    [Fact]
    public async Task Adding_compute_nodes_creates_only_the_new_ones()
    {
        var lab = await LabAsync("undercloud:1,controller:1,compute:2");

        var existing = TopologyExtension.ExistingCounts(lab.Status, await LoadAsync("compute:1"));
        var merged = TopologyExtension.Merge(Counts("compute:1"), existing);
        var plan = await PlanAsync(lab, merged);

        Assert.Equal(["undercloud:1", "compute:2", "controller:1"], existing.Select(e => $"{e.Type}:{e.Count}"));
        Assert.Equal("undercloud:1,compute:3,controller:1", merged);
        Assert.Empty(TopologyExtension.ChangesToExisting(plan));
        var created = Assert.Single(plan.Of(ResourceKind.Domain, ChangeAction.Create));
        Assert.Equal("ab-compute-2", created.Name);
    }

    [Fact]
    public async Task The_lab_keeps_the_order_its_OS_nodes_got_their_fixed_leases_in()
    {
        // Alphabetical order (aio before undercloud) would move the undercloud's fixed address.
        var lab = await LabAsync("undercloud:1,aio:1");

        var existing = TopologyExtension.ExistingCounts(lab.Status, await LoadAsync("aio:1"));
        var merged = TopologyExtension.Merge(Counts("aio:1"), existing);
        var plan = await PlanAsync(lab, merged);

        Assert.Equal("undercloud:1,aio:2", merged);
        Assert.Empty(TopologyExtension.ChangesToExisting(plan));
        Assert.Equal(["ab-aio-1"], plan.Of(ResourceKind.Domain, ChangeAction.Create).Select(c => c.Name));

        var alphabetical = await PlanAsync(lab, "aio:2,undercloud:1");
        Assert.Contains(TopologyExtension.ChangesToExisting(alphabetical), c => c.Kind == ResourceKind.DhcpHost && c.Action == ChangeAction.Replace);
    }

    [Fact]
    public async Task A_removed_nodes_index_is_not_reused()
    {
        var lab = await LabAsync("compute:3", removed: ["ab-compute-2"]);

        var existing = TopologyExtension.ExistingCounts(lab.Status, await LoadAsync("compute:1"));

        Assert.Equal("compute:4", TopologyExtension.Merge(Counts("compute:1"), existing));
    }

    [Fact]
    public async Task A_type_whose_nodes_were_all_removed_counts_its_removed_nodes()
    {
        var lab = await LabAsync("undercloud:1,compute:2", removed: ["ab-compute-0", "ab-compute-1"]);

        var existing = TopologyExtension.ExistingCounts(lab.Status, await LoadAsync("compute:1"));

        Assert.Equal("undercloud:1,compute:3", TopologyExtension.Merge(Counts("compute:1"), existing));
    }

    [Fact]
    public async Task An_empty_workspace_gets_the_requested_counts()
    {
        var status = new LabStatus(Workspace, null, [], [], new Dictionary<string, string>());

        var existing = TopologyExtension.ExistingCounts(status, await LoadAsync("controller:1,compute:2"));

        Assert.Empty(existing);
        Assert.Equal("controller:1,compute:2", TopologyExtension.Merge(Counts("controller:1,compute:2"), existing));
    }

    [Theory]
    [InlineData("ceph:1", "controller:1,compute:2,ceph:1")]
    [InlineData("compute:0", "controller:1,compute:2")]
    [InlineData("./my/compute.yml:1", "controller:1,./my/compute.yml:3")]
    [InlineData("ceph:2,controller:1", "controller:2,compute:2,ceph:2")]
    public void Merge_adds_to_the_existing_counts(string requested, string merged)
    {
        TypeCount[] existing = [new("controller", 1), new("compute", 2)];

        Assert.Equal(merged, TopologyExtension.Merge(Counts(requested), existing));
    }

    [Fact]
    public async Task Different_overrides_change_existing_nodes_and_are_refused()
    {
        var lab = await LabAsync("controller:1,compute:1");

        var plan = await PlanAsync(lab, "controller:1,compute:2", "override.controller.memory=256");
        var changes = TopologyExtension.ChangesToExisting(plan);

        var change = Assert.Single(changes);
        Assert.Equal((ResourceKind.Domain, "ab-controller-0", ChangeAction.Update), (change.Kind, change.Name, change.Action));
        Assert.StartsWith("--topology-extend only adds nodes, but this run would also change what exists: update domain ab-controller-0 (definition changed",
            TopologyExtension.Refusal(changes), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Fewer_nodes_would_delete_and_are_refused()
    {
        var lab = await LabAsync("compute:2");

        var changes = TopologyExtension.ChangesToExisting(await PlanAsync(lab, "compute:1"));

        Assert.Equal(["delete domain ab-compute-1", "delete volume ab-compute-1-disk1.qcow2"],
            changes.Select(c => $"{c.Action.ToString().ToLowerInvariant()} {c.Kind.ToString().ToLowerInvariant()} {c.Name}").Order());
    }

    [Fact]
    public void Refusal_lists_five_changes_and_counts_the_rest()
    {
        var changes = Enumerable.Range(0, 7).Select(i => new PlannedChange(ResourceKind.Domain, $"n{i}", ChangeAction.Delete, "gone")).ToList();

        var message = TopologyExtension.Refusal(changes);

        Assert.Contains("delete domain n4 (gone) and 2 more. Give the same", message, StringComparison.Ordinal);
        Assert.DoesNotContain("n5", message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("", "", false)]
    [InlineData("ab", "ab", false)]
    [InlineData("ab", "cd", true)]
    [InlineData("ab", null, true)]
    [InlineData("", "ab", true)]
    public void A_workspace_holding_a_lab_with_another_prefix_is_refused(string recordedPrefix, string? prefix, bool refused)
    {
        var record = new WorkspaceRecord { Workspace = Workspace, Prefix = recordedPrefix, Domains = new SortedSet<string>(["x-0"], StringComparer.Ordinal) };

        var error = Record.Exception(() => TopologyExtension.CheckSamePrefix(record, prefix, Workspace));

        Assert.Equal(refused, error is VMetalException { Kind: FailureKind.BadInput });
        TopologyExtension.CheckSamePrefix(record with { Domains = new SortedSet<string>(StringComparer.Ordinal) }, prefix, Workspace);
        TopologyExtension.CheckSamePrefix(null, prefix, Workspace);
    }

    [Fact]
    public void The_prefix_refusal_says_what_to_do()
    {
        var record = new WorkspaceRecord { Workspace = Workspace, Prefix = "ab", Domains = new SortedSet<string>(["ab-compute-0"], StringComparer.Ordinal) };

        var error = Assert.Throws<VMetalException>(() => TopologyExtension.CheckSamePrefix(record, null, Workspace));

        Assert.Equal("workspace 'ws' holds a lab with prefix 'ab' and this run asks for one without a prefix: converging would delete the existing lab " +
                     "(infrared would keep both). Give each lab its own workspace (--workspace NAME or VMETAL_WORKSPACE), or remove the old lab first (--kill yes)",
            error.Message);
    }

    private sealed record ObservedLab(LabStatus Status, ActualState Actual, WorkspaceRecord Record);

    private static IReadOnlyList<NodeCount> Counts(string text)
    {
        var counts = NodeCounts.Parse(text, out var errors);
        Assert.Empty(errors);
        return counts;
    }

    private static async Task<LabTopology> LoadAsync(string counts, params string[] extraVars)
    {
        var request = new TopologyRequest { Workspace = Workspace, NodeCounts = counts, Prefix = Prefix, ExtraVars = extraVars };
        return (await TopologyLoader.LoadAsync(request, TestContext.Current.CancellationToken)).GetTopologyOrThrow();
    }

    private static async Task<Plan> PlanAsync(ObservedLab lab, string counts, params string[] extraVars)
    {
        var desired = DesiredState.From(await LoadAsync(counts, extraVars), new RenderOptions(), startBareMetal: false);
        return Planner.PlanConverge(desired, lab.Actual, lab.Record, Workspace);
    }

    /// <summary>A lab as the host would show it right after `up` built it (less the removed nodes).</summary>
    private static async Task<ObservedLab> LabAsync(string counts, string[]? removed = null)
    {
        var gone = new SortedSet<string>(removed ?? [], StringComparer.Ordinal);
        var desired = DesiredState.From(await LoadAsync(counts), new RenderOptions(), startBareMetal: false);
        var domains = desired.Domains.Where(d => !gone.Contains(d.Name))
            .Select(d => new ObservedDomain(d.Name, d.Uuid, d.KeepRunning, new VmetalOwner(Workspace, Prefix, d.Name, d.Model.Type, ""), d.SpecHash,
                HasNvram: false, d.Model.Nics.Select(nic => (nic.Network, nic.MacAddress)).ToList()))
            .ToList();
        var removedMacs = desired.Domains.Where(d => gone.Contains(d.Name)).SelectMany(d => d.Model.Nics).Select(nic => nic.MacAddress).ToHashSet();
        var networks = desired.Networks
            .Select(n => new ObservedNetwork(n.Name, n.Uuid, Active: true, Autostart: true, new VmetalOwner(Workspace, Prefix, n.Name, "network", ""),
                n.SpecHash, n.Hosts.Where(h => !removedMacs.Contains(h.MacAddress)).ToList(), []))
            .ToList();
        var volumes = desired.Volumes.Where(v => !gone.Contains(v.Node)).ToList();
        var record = new WorkspaceRecord
        {
            Workspace = Workspace,
            Prefix = Prefix,
            PoolName = "images",
            Networks = new SortedDictionary<string, string>(desired.Networks.ToDictionary(n => n.Name, n => n.SpecHash), StringComparer.Ordinal),
            Volumes = new SortedDictionary<string, string>(volumes.ToDictionary(v => v.Name, v => v.SpecHash), StringComparer.Ordinal),
            Domains = new SortedSet<string>(domains.Select(d => d.Name), StringComparer.Ordinal),
            RemovedNodes = gone,
        };
        var actual = new ActualState(domains, networks, new ObservedPool("images", Active: true, Autostart: true),
            volumes.Select(v => new ObservedVolume(v.Name, v.CapacityBytes)).ToList());
        return new ObservedLab(new LabStatus(Workspace, record, domains, networks, new Dictionary<string, string>()), actual, record);
    }
}
