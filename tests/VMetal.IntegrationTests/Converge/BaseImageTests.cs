using System.Security.Cryptography;
using System.Text.Json;
using VMetal.Testing;
using VMetal.Topology;

namespace VMetal.IntegrationTests.Converge;

/// <summary>
/// `up --image-url`: OS nodes' disks become overlays of an image the hypervisor downloads once, from an HTTP
/// server on loopback inside the sandbox's namespace (nothing leaves the machine).
/// </summary>
public sealed class BaseImageTests(SandboxFixture sandbox)
{
    /// <summary>One OS node (undercloud) at 128 MiB with a 1 GiB disk, on the default 3_nets.</summary>
    private static readonly string[] OsNode =
        ["--topology-nodes", "undercloud:1", "-e", "override.undercloud.memory=128", "-e", "override.undercloud.disks.disk1.size=1G"];

    [Fact]
    public async Task Up_downloads_the_image_once_builds_the_os_disk_on_it_and_starts_the_node()
    {
        await using var lab = new TestLab(sandbox, "img", "i");
        using var files = new TempDirectory("vmetal-images");
        var image = await CreateImageAsync(files, "base.qcow2", "qcow2");
        await using var server = await NamespaceHttpServer.StartAsync(sandbox.Require().NetworkNamespace, files.Path);
        var url = server.UrlFor("base.qcow2");
        var cached = BaseImages.CachePath(new Uri(url));
        try
        {
            var sha256 = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(image)));
            var up = await lab.RunCheckedAsync([.. lab.UpArgs(OsNode), "--image-url", url, "--image-sha256", sha256]);
            Assert.Contains("downloaded base image", up.Output, StringComparison.Ordinal);
            Assert.Equal(1, server.GetsOf("base.qcow2"));

            // The cached copy is the served file, readable by qemu's user; the node's disk is an overlay of it.
            Assert.Equal(sha256, (await sandbox.RunAsync($"sha256sum {cached} | cut -d ' ' -f 1", sudo: true)).Stdout.Trim());
            Assert.Equal("644", (await sandbox.RunAsync($"stat -c %a {cached}", sudo: true)).Stdout.Trim());
            var volume = $"/var/lib/libvirt/images/{lab.Prefix}-undercloud-0-disk1.qcow2";
            var chain = (await sandbox.RunAsync($"qemu-img info -U --output=json {volume}", sudo: true)).Stdout;
            using (var info = JsonDocument.Parse(chain))
            {
                Assert.Equal(cached, info.RootElement.GetProperty("backing-filename").GetString());
                Assert.Equal(1L << 30, info.RootElement.GetProperty("virtual-size").GetInt64());
            }
            // Started: qemu opened the whole chain, so it could reach the cached image.
            Assert.Equal("running", (await sandbox.VirshAsync("domstate", $"{lab.Prefix}-undercloud-0")).Trim());

            // cloud-init's seed: a CD of the domain, uploaded over libvirt, naming the node and authorising the workspace key.
            var seed = $"/var/lib/libvirt/images/{lab.Prefix}-undercloud-0-seed.iso";
            Assert.Contains(seed, await sandbox.VirshAsync("domblklist", $"{lab.Prefix}-undercloud-0"), StringComparison.Ordinal);
            var extracted = files.File("seed");
            var xorriso = await sandbox.RunAsync($"xorriso -indev {seed} -osirrox on -extract / {extracted} && chmod -R a+rX {extracted}", sudo: true);
            Assert.True(xorriso.ExitCode == 0, xorriso.Stderr);
            Assert.Contains($"local-hostname: {lab.Prefix}-undercloud-0", File.ReadAllText(Path.Combine(extracted, "meta-data")), StringComparison.Ordinal);
            var workspaceKey = File.ReadAllText(Path.Combine(lab.WorkspaceDirectory, "id_rsa.pub")).Trim();
            Assert.Contains("  - " + workspaceKey + "\n", File.ReadAllText(Path.Combine(extracted, "user-data")), StringComparison.Ordinal);

            // A second run changes nothing and downloads nothing.
            var second = await lab.RunCheckedAsync([.. lab.UpArgs(OsNode), "--image-url", url, "-o", "json"]);
            using (var result = JsonDocument.Parse(second.Stdout))
                Assert.All(result.RootElement.GetProperty("changes").EnumerateArray(), c => Assert.Equal("unchanged", c.GetProperty("action").GetString()));
            Assert.Equal(1, server.GetsOf("base.qcow2"));

            // down removes the lab but keeps the image for the next lab.
            await lab.RunCheckedAsync(lab.Args("down"));
            Assert.Empty((await lab.ObjectsAsync()).Volumes); // the disk and the seed
            Assert.Equal("yes", (await sandbox.RunAsync($"test -s {cached} && echo yes", sudo: true)).Stdout.Trim());

            // The next lab reuses it without a request.
            await lab.RunCheckedAsync([.. lab.UpArgs(OsNode), "--image-url", url]);
            Assert.Equal(1, server.GetsOf("base.qcow2"));

            // `images` lists it with its URL and the overlay on it; --prune keeps it while that overlay exists ...
            var listed = await lab.RunCheckedAsync([.. lab.Args("images", "--prune"), "-o", "json"]);
            using (var images = JsonDocument.Parse(listed.Stdout))
            {
                var entry = images.RootElement.GetProperty("images").EnumerateArray().Single(i => i.GetProperty("path").GetString() == cached);
                Assert.Equal(url, entry.GetProperty("url").GetString());
                Assert.Contains(entry.GetProperty("usedBy").EnumerateArray(), u => u.GetString()!.EndsWith($"/{lab.Prefix}-undercloud-0-disk1.qcow2", StringComparison.Ordinal));
                Assert.DoesNotContain(images.RootElement.GetProperty("removed").EnumerateArray(), r => r.GetString() == cached);
            }
            Assert.Equal("yes", (await sandbox.RunAsync($"test -s {cached} && echo yes", sudo: true)).Stdout.Trim());

            // ... and deletes it once no volume uses it.
            await lab.RunCheckedAsync(lab.Args("down"));
            var pruned = await lab.RunCheckedAsync(lab.Args("images", "--prune"));
            Assert.Contains($"deleted {cached}", pruned.Output, StringComparison.Ordinal);
            Assert.Equal("", (await sandbox.RunAsync($"ls {cached}* 2>/dev/null", sudo: true)).Stdout.Trim());
        }
        finally
        {
            await sandbox.RunAsync($"rm -f {cached} {cached}.url", sudo: true);
        }
    }

    [Fact]
    public async Task A_failed_or_wrong_download_changes_nothing_and_a_raw_image_is_converted()
    {
        await using var lab = new TestLab(sandbox, "imgbad", "i");
        using var files = new TempDirectory("vmetal-images");
        await CreateImageAsync(files, "disk.raw", "raw");
        await using var server = await NamespaceHttpServer.StartAsync(sandbox.Require().NetworkNamespace, files.Path);
        var missing = server.UrlFor("missing.qcow2");
        var raw = server.UrlFor("disk.raw");
        var cachedRaw = BaseImages.CachePath(new Uri(raw));
        try
        {
            var notFound = await lab.RunAsync([.. lab.UpArgs(OsNode), "--image-url", missing]);
            Assert.Equal(1, notFound.ExitCode);
            Assert.Contains("the download failed", notFound.Output, StringComparison.Ordinal);
            Assert.Contains("404", notFound.Output, StringComparison.Ordinal);

            var wrongSum = await lab.RunAsync([.. lab.UpArgs(OsNode), "--image-url", raw, "--image-sha256", new string('0', 64)]);
            Assert.Equal(1, wrongSum.ExitCode);
            Assert.Contains("not the expected file", wrongSum.Output, StringComparison.Ordinal);
            Assert.Equal("", (await sandbox.RunAsync($"ls {cachedRaw}* 2>/dev/null", sudo: true)).Stdout.Trim());

            // The raw image (64 MiB) is stored as qcow2; a 32 MiB disk cannot hold it: refused as bad input.
            var tooSmall = await lab.RunAsync([.. lab.UpArgs(OsNode), "--image-url", raw, "-e", "override.undercloud.disks.disk1.size=32M"]);
            Assert.Equal(2, tooSmall.ExitCode);
            Assert.Contains("disk1 of " + lab.Prefix + "-undercloud-0 is 32M but its base image", tooSmall.Output, StringComparison.Ordinal);
            Assert.Contains("\"format\": \"qcow2\"", (await sandbox.RunAsync($"qemu-img info --output=json {cachedRaw}", sudo: true)).Stdout, StringComparison.Ordinal);

            // None of the failed runs created anything of the lab.
            var objects = await lab.ObjectsAsync();
            Assert.Empty(objects.Domains);
            Assert.Empty(objects.Networks);
            Assert.Empty(objects.Volumes);
        }
        finally
        {
            await sandbox.RunAsync($"rm -f {cachedRaw} {cachedRaw}.url", sudo: true);
        }
    }

    private static async Task<string> CreateImageAsync(TempDirectory directory, string name, string format)
    {
        var path = directory.File(name);
        var result = await ProcessRunner.RunAsync("qemu-img", ["create", "-q", "-f", format, path, "64M"]);
        Assert.True(result.ExitCode == 0, result.Stderr);
        // World-readable: the server runs as root, but keep the test independent of that.
        File.SetUnixFileMode(directory.Path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute |
                                             UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        return path;
    }
}
