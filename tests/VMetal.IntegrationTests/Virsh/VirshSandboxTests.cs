using System.Text.Json;
using VMetal.Testing;

namespace VMetal.IntegrationTests.Virsh;

/// <summary>`vmetal virsh` with infrared's flags against the sandbox's real libvirt.</summary>
public sealed class VirshSandboxTests(SandboxFixture sandbox)
{
    [Fact]
    public async Task Provisions_reruns_as_a_no_op_extends_removes_nodes_and_kills_the_lab()
    {
        await using var lab = new VirshLab(sandbox, "life");
        string[] provision = ["--prefix", lab.Prefix, .. VirshLab.Tiny(computes: 2), "--topology-network", "3_nets"];

        var first = await lab.VirshCheckedAsync(provision);
        Assert.StartsWith($"running vmetal up --topology-nodes compute:2 --topology-network 3_nets --prefix {lab.Prefix} ", first.Stdout, StringComparison.Ordinal);
        var objects = await lab.ObjectsAsync();
        Assert.Equal([$"{lab.Prefix}-compute-0", $"{lab.Prefix}-compute-1"], objects.Domains);
        Assert.Equal([$"{lab.Prefix}-data", $"{lab.Prefix}-external", $"{lab.Prefix}-management"], objects.Networks);
        Assert.Equal([$"{lab.Prefix}-compute-0-disk1.qcow2", $"{lab.Prefix}-compute-1-disk1.qcow2"], objects.Volumes);
        foreach (var domain in objects.Domains)
            Assert.Equal("shut off", await lab.StateAsync(domain));
        var uuids = await Task.WhenAll(objects.Domains.Select(lab.UuidAsync));

        // infrared needs --kill before a re-run; vmetal's re-run changes nothing.
        var again = await lab.VirshCheckedAsync([.. provision, "-o", "json"]);
        using (var document = JsonDocument.Parse(again.Stdout))
        {
            var changes = document.RootElement.GetProperty("changes").EnumerateArray().ToList();
            Assert.NotEmpty(changes);
            Assert.All(changes, change => Assert.Equal("unchanged", change.GetProperty("action").GetString()));
        }
        Assert.Equal(uuids, await Task.WhenAll(objects.Domains.Select(lab.UuidAsync)));

        // Another prefix in the same workspace would replace this lab: refused.
        var otherPrefix = await lab.VirshAsync(["--prefix", lab.Prefix + "x", .. VirshLab.Tiny(computes: 1)]);
        Assert.Equal(2, otherPrefix.ExitCode);
        Assert.Contains($"holds a lab with prefix '{lab.Prefix}'", otherPrefix.Stderr, StringComparison.Ordinal);
        Assert.Equal(objects.Domains, (await lab.ObjectsAsync()).Domains);

        // --topology-extend adds one compute node to the two; the existing ones are left alone.
        var extend = await lab.VirshCheckedAsync(["--prefix", lab.Prefix, .. VirshLab.Tiny(computes: 1), "--topology-extend", "yes"]);
        Assert.Contains("adding compute:1 makes --topology-nodes compute:3", extend.Stdout, StringComparison.Ordinal);
        var extended = await lab.ObjectsAsync();
        Assert.Equal([.. objects.Domains, $"{lab.Prefix}-compute-2"], extended.Domains);
        Assert.Equal(uuids, await Task.WhenAll(objects.Domains.Select(lab.UuidAsync)));

        // An extend that would redefine the existing nodes is refused and changes nothing.
        var changing = await lab.VirshAsync(["--prefix", lab.Prefix, .. VirshLab.Tiny(computes: 1, memory: 256), "--topology-extend", "True"]);
        Assert.Equal(2, changing.ExitCode);
        Assert.Contains($"--topology-extend only adds nodes, but this run would also change what exists: update domain {lab.Prefix}-compute-0",
            changing.Stderr, StringComparison.Ordinal);
        Assert.Equal(extended.Domains, (await lab.ObjectsAsync()).Domains);
        Assert.Contains("<memory unit='KiB'>131072</memory>", await sandbox.VirshAsync("dumpxml", $"{lab.Prefix}-compute-0"), StringComparison.Ordinal);

        await lab.VirshCheckedAsync("--remove-nodes", $"{lab.Prefix}-compute-1");
        var afterRemoval = await lab.ObjectsAsync();
        Assert.Equal([$"{lab.Prefix}-compute-0", $"{lab.Prefix}-compute-2"], afterRemoval.Domains);
        Assert.DoesNotContain($"{lab.Prefix}-compute-1-disk1.qcow2", afterRemoval.Volumes);

        // CI jobs pass their whole flag list with --kill; the topology flags mean nothing there.
        await lab.VirshCheckedAsync(["--kill", "yes", "--prefix", lab.Prefix, .. VirshLab.Tiny(computes: 2)]);
        var killed = await lab.ObjectsAsync();
        Assert.Empty(killed.Domains);
        Assert.Empty(killed.Networks);
        Assert.Empty(killed.Volumes);
        Assert.False(await lab.HasRecordAsync());
    }

    [Fact]
    public async Task Kill_and_remove_nodes_check_the_prefix_and_a_dry_run_warns_once()
    {
        await using var lab = new VirshLab(sandbox, "pfx");
        await lab.VirshCheckedAsync(["--prefix", lab.Prefix, .. VirshLab.Tiny(computes: 2)]);
        var before = await lab.ObjectsAsync();

        var kill = await lab.VirshAsync(["--kill", "yes", "--prefix", lab.Prefix + "x", .. VirshLab.Tiny(computes: 2)]);
        var remove = await lab.VirshAsync("--remove-nodes", $"{lab.Prefix}-compute-1", "--prefix", lab.Prefix + "x");

        Assert.Equal(2, kill.ExitCode);
        Assert.Contains($"holds the lab with prefix '{lab.Prefix}', not with prefix '{lab.Prefix}x': nothing was done", kill.Stderr, StringComparison.Ordinal);
        // The refusal is all that is said after the command line vmetal runs: no "removing workspace …" before it.
        Assert.DoesNotContain("removing", kill.Output, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(2, remove.ExitCode);
        Assert.DoesNotContain("removing", remove.Output, StringComparison.OrdinalIgnoreCase);
        await AssertUnchangedAsync();

        // The node type's warning comes from the topology, which the preflight and the plan both load: shown once.
        var dryRun = await lab.VirshCheckedAsync("--prefix", lab.Prefix, "--topology-nodes", "undercloud:1", "--dry-run");
        Assert.Equal(1, dryRun.Output.Split("deploys an OS but no --image-url").Length - 1);
        await AssertUnchangedAsync();

        await lab.VirshCheckedAsync("--remove-nodes", $"{lab.Prefix}-compute-1", "--prefix", lab.Prefix);
        await lab.VirshCheckedAsync("--kill", "yes", "--prefix", lab.Prefix);
        var killed = await lab.ObjectsAsync();
        Assert.Empty(killed.Domains);
        Assert.Empty(killed.Networks);
        Assert.False(await lab.HasRecordAsync());

        async Task AssertUnchangedAsync()
        {
            var now = await lab.ObjectsAsync();
            Assert.Equal(before.Domains, now.Domains);
            Assert.Equal(before.Networks, now.Networks);
            Assert.Equal(before.Volumes, now.Volumes);
        }
    }

    [Fact]
    public async Task Cleanup_with_a_prefix_removes_that_labs_objects_only()
    {
        await using var cleaned = new VirshLab(sandbox, "cln");
        await using var kept = new VirshLab(sandbox, "kpt");
        // Foreign objects whose names start with the cleaned prefix: infrared's substring match would take them.
        var foreignDomain = $"{cleaned.Prefix}-foreign";
        var foreignNetwork = $"{cleaned.Prefix}-fnet";
        await DefineAsync("define", $"<domain type='qemu'><name>{foreignDomain}</name><memory unit='MiB'>32</memory><os><type arch='x86_64'>hvm</type></os></domain>");
        try
        {
            // Defined, never started: no bridge is created.
            await DefineAsync("net-define", $"<network><name>{foreignNetwork}</name></network>");
            await cleaned.VirshCheckedAsync(["--prefix", cleaned.Prefix, .. VirshLab.Tiny(computes: 1)]);
            await kept.VirshCheckedAsync(["--prefix", kept.Prefix, .. VirshLab.Tiny(computes: 1)]);
            var keptBefore = await kept.ObjectsAsync();
            Assert.Single(keptBefore.Domains);
            Assert.True(File.Exists(Path.Combine(cleaned.WorkspaceDirectory, "nodes.json")));

            // Run from the other workspace: the cleaned lab's --workspace-dir is not on this command line, up noted it.
            var cleanup = await kept.VirshCheckedAsync("--cleanup", "yes", "--prefix", cleaned.Prefix);

            Assert.StartsWith($"running vmetal cleanup --prefix {cleaned.Prefix} ", cleanup.Stdout, StringComparison.Ordinal);
            var left = await cleaned.ObjectsAsync();
            Assert.Equal([foreignDomain], left.Domains);
            Assert.Equal([foreignNetwork], left.Networks);
            Assert.Empty(left.Volumes);
            Assert.False(await cleaned.HasRecordAsync());
            var keptAfter = await kept.ObjectsAsync();
            Assert.Equal(keptBefore.Domains, keptAfter.Domains);
            Assert.Equal(keptBefore.Networks, keptAfter.Networks);
            Assert.Equal(keptBefore.Volumes, keptAfter.Volumes);
            Assert.True(await kept.HasRecordAsync());
            // As after --kill: the cleaned lab's outputs are gone, the kept lab's are still there.
            Assert.DoesNotContain(new[] { "hosts", "ssh.config", "nodes.json", "instackenv.json", "state.json" },
                file => File.Exists(Path.Combine(cleaned.WorkspaceDirectory, file)));
            Assert.True(File.Exists(Path.Combine(kept.WorkspaceDirectory, "nodes.json")));
        }
        finally
        {
            await sandbox.VirshResultAsync("undefine", foreignDomain);
            await sandbox.VirshResultAsync("net-undefine", foreignNetwork);
        }
    }

    private async Task DefineAsync(string command, string xml)
    {
        var result = await sandbox.VirshResultAsync([command, "/dev/stdin"], xml);
        Assert.True(result.ExitCode == 0, $"virsh {command}: {result.Stderr}");
    }
}
