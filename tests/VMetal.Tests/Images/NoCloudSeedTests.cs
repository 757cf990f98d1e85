using System.Text;
using VMetal.Images;
using VMetal.Testing;
using VMetal.Topology;

namespace VMetal.Tests.Images;

/// <summary>The NoCloud seed ISO, read back by util-linux's blkid and by xorriso.</summary>
public sealed class NoCloudSeedTests
{
    private static async Task<Node> UndercloudAsync() =>
        (await Topology.Topologies.LoadAsync(new TopologyRequest { NodeCounts = "undercloud:1", BaseImage = "/images/base.qcow2", Workspace = "seed" })).Nodes[0];

    [Fact]
    public async Task The_seed_is_an_iso9660_volume_labelled_cidata_and_the_same_input_gives_the_same_bytes()
    {
        var node = await UndercloudAsync();
        var seed = NoCloudSeed.For(node, ["ssh-rsa AAAAB3Nza vmetal-seed"]);
        using var directory = new TempDirectory();
        var path = directory.File("seed.iso");
        await File.WriteAllBytesAsync(path, seed, TestContext.Current.CancellationToken);

        var blkid = await ProcessRunner.RunAsync("blkid", ["-p", "-o", "export", path]);

        Assert.Contains("TYPE=iso9660", blkid.Stdout, StringComparison.Ordinal);
        Assert.Contains("LABEL=cidata", blkid.Stdout, StringComparison.Ordinal);
        Assert.Equal(seed, NoCloudSeed.For(node, ["ssh-rsa AAAAB3Nza vmetal-seed"]));
        Assert.NotEqual(seed, NoCloudSeed.For(node, ["ssh-rsa AAAAB3Nzb other"]));
        Assert.Equal(0, seed.Length % 2048);
    }

    [Fact]
    public async Task User_and_meta_data_say_what_cloud_init_needs()
    {
        var node = await UndercloudAsync();

        Assert.Equal($"instance-id: {node.Uuid}\nlocal-hostname: undercloud-0\n", NoCloudSeed.MetaData(node));
        var userData = NoCloudSeed.UserData(["ssh-rsa AAAA one\n", "ssh-ed25519 BBBB two"]);
        Assert.StartsWith("#cloud-config\n", userData, StringComparison.Ordinal);
        Assert.Contains("disable_root: false\n", userData, StringComparison.Ordinal);
        Assert.Contains("ssh_authorized_keys:\n  - ssh-rsa AAAA one\n  - ssh-ed25519 BBBB two\n", userData, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_iso_reader_lists_the_files_under_the_names_cloud_init_reads_with_their_contents()
    {
        var node = await UndercloudAsync();
        using var directory = new TempDirectory();
        var path = directory.File("seed.iso");
        var extracted = directory.File("out");
        await File.WriteAllBytesAsync(path, NoCloudSeed.For(node, ["ssh-rsa AAAAB3Nza vmetal-seed"]), TestContext.Current.CancellationToken);

        // xorriso (libisofs) reads the Joliet tree, as Linux's iso9660 driver does by default.
        var xorriso = await ProcessRunner.RunAsync("xorriso", ["-indev", path, "-osirrox", "on", "-extract", "/", extracted]);

        Assert.True(xorriso.ExitCode == 0, xorriso.Stderr);
        Assert.Contains("Volume id    : 'cidata'", xorriso.Stderr, StringComparison.Ordinal);
        Assert.Equal(["meta-data", "user-data"], Directory.GetFiles(extracted).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Equal(NoCloudSeed.MetaData(node), await File.ReadAllTextAsync(Path.Combine(extracted, "meta-data"), TestContext.Current.CancellationToken));
        Assert.Equal(NoCloudSeed.UserData(["ssh-rsa AAAAB3Nza vmetal-seed"]),
            await File.ReadAllTextAsync(Path.Combine(extracted, "user-data"), Encoding.UTF8, TestContext.Current.CancellationToken));
    }
}
