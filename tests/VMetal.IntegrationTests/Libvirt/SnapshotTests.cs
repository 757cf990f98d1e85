using VMetal.Libvirt;
using VMetal.Testing;

namespace VMetal.IntegrationTests.Libvirt;

/// <summary>Internal snapshots of a shut-off domain with a qcow2 disk, checked against virsh.</summary>
public sealed class SnapshotTests(SandboxFixture sandbox)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<string[]> VirshSnapshotNamesAsync(string domain) =>
        (await sandbox.VirshAsync("snapshot-list", domain, "--name")).Split('\n', StringSplitOptions.RemoveEmptyEntries);

    [Fact]
    public async Task Snapshots_create_list_revert_and_delete_as_virsh_sees_them()
    {
        var pool = TestNames.Unique("lv");
        var name = TestNames.Unique("lv");
        await using var client = await LibvirtSandbox.ConnectAsync(sandbox, LibvirtRoute.Ssh, Ct);
        try
        {
            await sandbox.VirshAsync("pool-create-as", pool, "dir", "--target", StorageTests.PoolPath(pool), "--build");
            await sandbox.VirshAsync("vol-create-as", pool, "disk.qcow2", "16M", "--format", "qcow2");
            var disk = $"<disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='{StorageTests.PoolPath(pool)}/disk.qcow2'/><target dev='vda' bus='virtio'/></disk>";
            var domain = await client.DomainDefineXmlAsync(LibvirtSandbox.DomainXml(name, extraDevices: disk), cancellationToken: Ct);

            var first = await client.DomainSnapshotCreateXmlAsync(domain,
                "<domainsnapshot><name>base</name><description>before changes</description></domainsnapshot>", cancellationToken: Ct);
            var second = await client.DomainSnapshotCreateXmlAsync(domain, "<domainsnapshot><name>later</name></domainsnapshot>", cancellationToken: Ct);

            Assert.Equal(new DomainSnapshotRef("base", domain), first);
            Assert.Equal(["base", "later"], await VirshSnapshotNamesAsync(name));
            Assert.Equal(["base", "later"], (await client.DomainListAllSnapshotsAsync(domain, cancellationToken: Ct)).Select(s => s.Name).Order());
            Assert.Equal(["later"], (await client.DomainListAllSnapshotsAsync(domain, SnapshotListFlags.Leaves, Ct)).Select(s => s.Name));
            Assert.Equal(first, await client.DomainSnapshotLookupByNameAsync(domain, "base", Ct));
            Assert.Equal((await sandbox.VirshAsync("snapshot-dumpxml", name, "base")).Trim(),
                (await client.DomainSnapshotGetXmlDescAsync(first, Ct)).Trim());
            Assert.Equal("later", (await sandbox.VirshAsync("snapshot-current", name, "--name")).Trim());

            await client.DomainRevertToSnapshotAsync(first, cancellationToken: Ct);
            Assert.Equal("base", (await sandbox.VirshAsync("snapshot-current", name, "--name")).Trim());

            await client.DomainSnapshotDeleteAsync(second, cancellationToken: Ct);
            Assert.Equal(["base"], await VirshSnapshotNamesAsync(name));
            Assert.Equal(LibvirtErrorCode.NoDomainSnapshot,
                (await Assert.ThrowsAsync<LibvirtException>(() => client.DomainSnapshotLookupByNameAsync(domain, "later", Ct))).Code);

            await client.DomainSnapshotDeleteAsync(first, cancellationToken: Ct);
            Assert.Empty(await VirshSnapshotNamesAsync(name));
        }
        finally
        {
            await LibvirtSandbox.CleanupAsync(sandbox, $"undefine --snapshots-metadata {name}");
            await StorageTests.CleanupPoolAsync(sandbox, pool);
        }
    }
}
