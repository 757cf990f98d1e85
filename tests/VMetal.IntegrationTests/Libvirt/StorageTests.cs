using System.Security.Cryptography;
using System.Text.RegularExpressions;
using VMetal.Libvirt;
using VMetal.Testing;

namespace VMetal.IntegrationTests.Libvirt;

/// <summary>Storage pool and volume procedures on a dir pool of the sandbox, checked against virsh.</summary>
public sealed class StorageTests(SandboxFixture sandbox)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    internal static string PoolPath(string name) => $"/var/lib/libvirt/images/{name}";

    internal static string PoolXml(string name) =>
        $"<pool type='dir'><name>{name}</name><target><path>{PoolPath(name)}</path></target></pool>";

    internal static string VolumeXml(string name, string format, int mebibytes) =>
        $"<volume><name>{name}</name><capacity unit='MiB'>{mebibytes}</capacity><target><format type='{format}'/></target></volume>";

    internal static Task CleanupPoolAsync(SandboxFixture sandbox, string pool) =>
        LibvirtSandbox.CleanupAsync(sandbox, $"pool-destroy {pool}", $"pool-undefine {pool}")
            .ContinueWith(_ => sandbox.RunAsync($"rm -rf '{PoolPath(pool)}'", sudo: true)).Unwrap();

    private async Task<ulong> VirshBytesAsync(string field, params string[] arguments)
    {
        var info = await sandbox.VirshAsync(arguments);
        return ulong.Parse(Regex.Match(info, $@"{field}:\s+(\d+) bytes").Groups[1].Value);
    }

    [Fact]
    public async Task Pool_lifecycle_is_what_virsh_sees()
    {
        var name = TestNames.Unique("lv");
        await using var client = await LibvirtSandbox.ConnectAsync(sandbox, LibvirtRoute.Ssh, Ct);
        try
        {
            var pool = await client.StoragePoolDefineXmlAsync(PoolXml(name), Ct);

            Assert.Matches(@"State:\s+inactive", await sandbox.VirshAsync("pool-info", name));
            Assert.Equal(pool, await client.StoragePoolLookupByNameAsync(name, Ct));
            Assert.Equal(pool, await client.StoragePoolLookupByUuidAsync(pool.Uuid, Ct));
            Assert.Contains(pool, await client.ListAllStoragePoolsAsync(StoragePoolListFlags.Inactive, Ct));

            await client.StoragePoolBuildAsync(pool, cancellationToken: Ct);
            Assert.Equal(0, (await sandbox.RunAsync($"test -d '{PoolPath(name)}'", sudo: true)).ExitCode);

            await client.StoragePoolCreateAsync(pool, cancellationToken: Ct);
            Assert.Matches(@"State:\s+running", await sandbox.VirshAsync("pool-info", name));
            Assert.True(await client.StoragePoolIsActiveAsync(pool, Ct));

            await client.StoragePoolSetAutostartAsync(pool, true, Ct);
            Assert.Matches(@"Autostart:\s+yes", await sandbox.VirshAsync("pool-info", name));
            Assert.True(await client.StoragePoolGetAutostartAsync(pool, Ct));

            // A file copied into the directory behind libvirt's back appears after a refresh.
            await sandbox.RunAsync($"truncate -s 1M '{PoolPath(name)}/copied-in.img'", sudo: true);
            await client.StoragePoolRefreshAsync(pool, Ct);
            Assert.Contains("copied-in.img", await sandbox.VirshAsync("vol-list", name));
            Assert.Contains((await client.StoragePoolListAllVolumesAsync(pool, Ct)), v => v.Name == "copied-in.img");

            Assert.Equal((await sandbox.VirshAsync("pool-dumpxml", name)).Trim(),
                (await client.StoragePoolGetXmlDescAsync(pool, cancellationToken: Ct)).Trim());

            await client.StoragePoolDestroyAsync(pool, Ct);
            Assert.Matches(@"State:\s+inactive", await sandbox.VirshAsync("pool-info", name));
            await client.StoragePoolUndefineAsync(pool, Ct);
            Assert.NotEqual(0, (await sandbox.VirshResultAsync("pool-info", name)).ExitCode);
            Assert.True((await Assert.ThrowsAsync<LibvirtException>(() => client.StoragePoolLookupByNameAsync(name, Ct))).IsNotFound);
        }
        finally
        {
            await CleanupPoolAsync(sandbox, name);
        }
    }

    [Fact]
    public async Task Volumes_create_clone_upload_resize_and_delete_as_virsh_sees_them()
    {
        var name = TestNames.Unique("lv");
        await using var client = await LibvirtSandbox.ConnectAsync(sandbox, LibvirtRoute.Ssh, Ct);
        try
        {
            var pool = await client.StoragePoolDefineXmlAsync(PoolXml(name), Ct);
            await client.StoragePoolCreateAsync(pool, StoragePoolCreateFlags.WithBuild, Ct);

            var qcow2 = await client.StorageVolCreateXmlAsync(pool, VolumeXml("disk.qcow2", "qcow2", 16),
                StorageVolumeCreateFlags.PreallocMetadata, Ct);
            var path = await client.StorageVolGetPathAsync(qcow2, Ct);
            Assert.Equal($"{PoolPath(name)}/disk.qcow2", path);
            Assert.Equal((await sandbox.VirshAsync("vol-path", "--pool", name, "disk.qcow2")).Trim(), path);
            Assert.Equal(qcow2, await client.StorageVolLookupByNameAsync(pool, "disk.qcow2", Ct));
            Assert.Equal(qcow2, await client.StorageVolLookupByPathAsync(path, Ct));
            var info = await client.StorageVolGetInfoAsync(qcow2, Ct);
            Assert.Equal(StorageVolumeType.File, info.Type);
            Assert.Equal(16ul << 20, info.Capacity);
            Assert.Equal(await VirshBytesAsync("Capacity", "vol-info", "--bytes", path), info.Capacity);
            Assert.Equal(await VirshBytesAsync("Allocation", "vol-info", "--bytes", path), info.Allocation);
            // Metadata preallocation maps every cluster up front: the (sparse) file spans the whole
            // disk, where a plain qcow2 of 16 MiB is about 200 KiB long.
            var fileLength = long.Parse((await sandbox.RunAsync($"stat -c %s '{path}'", sudo: true)).Stdout);
            Assert.True(fileLength >= 16L << 20, $"qcow2 file is only {fileLength} bytes long");
            Assert.Equal((await sandbox.VirshAsync("vol-dumpxml", path)).Trim(), (await client.StorageVolGetXmlDescAsync(qcow2, Ct)).Trim());

            await client.StorageVolResizeAsync(qcow2, 32ul << 20, cancellationToken: Ct);
            Assert.Equal(32ul << 20, await VirshBytesAsync("Capacity", "vol-info", "--bytes", path));

            var raw = await client.StorageVolCreateXmlAsync(pool, VolumeXml("data.raw", "raw", 1), cancellationToken: Ct);
            var content = RandomNumberGenerator.GetBytes(1 << 20);
            await client.StorageVolUploadAsync(raw, new MemoryStream(content), cancellationToken: Ct);
            var expectedHash = Convert.ToHexStringLower(SHA256.HashData(content));
            Assert.StartsWith(expectedHash, (await sandbox.RunAsync($"sha256sum '{PoolPath(name)}/data.raw'", sudo: true)).Stdout);

            var clone = await client.StorageVolCreateXmlFromAsync(pool, VolumeXml("clone.raw", "raw", 1), raw, cancellationToken: Ct);
            Assert.Equal("clone.raw", clone.Name);
            Assert.Contains("clone.raw", await sandbox.VirshAsync("vol-list", name));
            Assert.StartsWith(expectedHash, (await sandbox.RunAsync($"sha256sum '{PoolPath(name)}/clone.raw'", sudo: true)).Stdout);

            var volumes = await client.StoragePoolListAllVolumesAsync(pool, Ct);
            Assert.Equal(["clone.raw", "data.raw", "disk.qcow2"], volumes.Select(v => v.Name).Order());

            await client.StorageVolDeleteAsync(clone, cancellationToken: Ct);
            Assert.DoesNotContain("clone.raw", await sandbox.VirshAsync("vol-list", name));
            Assert.NotEqual(0, (await sandbox.RunAsync($"test -e '{PoolPath(name)}/clone.raw'", sudo: true)).ExitCode);
            Assert.True((await Assert.ThrowsAsync<LibvirtException>(() => client.StorageVolLookupByNameAsync(pool, "clone.raw", Ct))).IsNotFound);
        }
        finally
        {
            await CleanupPoolAsync(sandbox, name);
        }
    }
}
