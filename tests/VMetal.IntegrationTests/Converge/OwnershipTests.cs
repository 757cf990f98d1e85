using VMetal.Testing;

namespace VMetal.IntegrationTests.Converge;

/// <summary>`cleanup` without a prefix removes every vmetal lab on the host, so this collection runs alone.</summary>
[CollectionDefinition(DisableParallelization = true)]
public sealed class ExclusiveSandbox;

/// <summary>Objects vmetal did not make survive down and cleanup, however their names look.</summary>
[Collection(typeof(ExclusiveSandbox))]
public sealed class OwnershipTests(SandboxFixture sandbox)
{
    [Fact]
    public async Task Foreign_domains_networks_and_disks_survive_down_and_cleanup()
    {
        await using var lab = new TestLab(sandbox, "own");
        var foreignDomain = $"{lab.Prefix}-compute-7";
        var foreignNetwork = $"{lab.Prefix}-mgmt";
        var foreignVolume = $"{lab.Prefix}-compute-7-disk1.qcow2";
        await DefineForeignObjectsAsync(foreignDomain, foreignNetwork, foreignVolume);
        try
        {
            await lab.RunCheckedAsync(lab.UpArgs(TestLab.SmallTopology));
            Assert.Equal(3, (await lab.ObjectsAsync()).Domains.Count);

            await lab.RunCheckedAsync(lab.Args("down"));
            await lab.RunCheckedAsync(lab.UpArgs(TestLab.SmallTopology));
            await lab.RunCheckedAsync([.. lab.Args("cleanup"), "--prefix", lab.Prefix]);
            await lab.RunCheckedAsync(lab.UpArgs(TestLab.SmallTopology));
            await lab.RunCheckedAsync(lab.Args("cleanup"));

            var left = await lab.ObjectsAsync();
            Assert.Equal([foreignDomain], left.Domains);
            Assert.Equal([foreignNetwork], left.Networks);
            Assert.Equal([foreignVolume], left.Volumes);
        }
        finally
        {
            await sandbox.RunAsync($"virsh -c qemu:///system undefine {foreignDomain}; virsh -c qemu:///system net-destroy {foreignNetwork}; " +
                                   $"virsh -c qemu:///system net-undefine {foreignNetwork}; rm -f /var/lib/libvirt/images/{foreignVolume}", sudo: true);
        }
    }

    [Fact]
    public async Task A_foreign_object_with_a_name_vmetal_wants_stops_up_before_it_changes_anything()
    {
        await using var lab = new TestLab(sandbox, "clash");
        var clash = $"{lab.Prefix}-compute-1";
        await sandbox.VirshResultAsync(["define", "/dev/stdin"],
            $"<domain type='qemu'><name>{clash}</name><memory unit='MiB'>64</memory><os><type arch='x86_64'>hvm</type></os></domain>");
        try
        {
            var result = await lab.RunAsync(lab.UpArgs(TestLab.SmallTopology));

            Assert.Equal(2, result.ExitCode);
            Assert.Contains($"domain '{clash}' exists and is not owned", result.Stderr, StringComparison.Ordinal);
            var objects = await lab.ObjectsAsync();
            Assert.Equal([clash], objects.Domains);
            Assert.Empty(objects.Networks);
        }
        finally
        {
            await sandbox.VirshResultAsync("undefine", clash);
        }
    }

    private async Task DefineForeignObjectsAsync(string domain, string network, string volume)
    {
        (await sandbox.VirshResultAsync(["define", "/dev/stdin"],
            $"<domain type='qemu'><name>{domain}</name><memory unit='MiB'>64</memory><os><type arch='x86_64'>hvm</type></os></domain>"))
            .EnsureSuccess(VMetal.Hosting.HostCommand.Of("define"), sandbox.Require().Target);
        (await sandbox.VirshResultAsync(["net-define", "/dev/stdin"],
            $"<network><name>{network}</name><ip address='198.19.250.1' prefix='24'/></network>"))
            .EnsureSuccess(VMetal.Hosting.HostCommand.Of("net-define"), sandbox.Require().Target);
        await sandbox.VirshAsync("net-start", network);
        await sandbox.RunAsync($"qemu-img create -q -f qcow2 /var/lib/libvirt/images/{volume} 1M", sudo: true);
    }
}
