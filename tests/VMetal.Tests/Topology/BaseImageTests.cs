using VMetal.Testing;
using VMetal.Topology;

namespace VMetal.Tests.Topology;

/// <summary>--image-url and infrared's import_url: which disks become overlays of which downloaded image, and where it is cached.</summary>
public sealed class BaseImageTests
{
    private const string Rhel = "https://images.example/rhel/rhel-9.4-x86_64-kvm.qcow2";

    [Fact]
    public async Task Image_url_backs_the_first_disk_of_os_nodes_only()
    {
        var topology = await Topologies.LoadAsync(new TopologyRequest { NodeCounts = "undercloud:1,controller:2,compute:1", BaseImageUrl = Rhel });
        var cached = BaseImages.CachePath(new Uri(Rhel));

        foreach (var node in topology.Nodes)
        {
            Assert.Equal(node.DeployOs ? cached : null, node.Disks[0].BackingImage);
            Assert.Equal(node.DeployOs ? new Uri(Rhel) : null, node.Disks[0].BackingImageUrl);
            Assert.All(node.Disks.Skip(1), disk => Assert.Null(disk.BackingImage));
        }
        var image = Assert.Single(topology.Images);
        Assert.Equal(new Uri(Rhel), image.Url);
        Assert.Equal(cached, image.HostPath);
        Assert.Equal(["undercloud-0"], image.Users.Select(user => user.Node));
    }

    [Fact]
    public async Task Import_url_of_a_disk_beats_the_node_file_s_which_beats_image_url()
    {
        using var directory = new TempDirectory();
        Directory.CreateDirectory(Path.Combine(directory.Path, "nodes"));
        await File.WriteAllTextAsync(Path.Combine(directory.Path, "nodes", "opstools.yml"), """
            name: opstools
            cpu: 1
            memory: 512
            import_url: http://mirror.example/centos/CentOS-7-GenericCloud.qcow2
            disks:
              disk1:
                size: 20G
              disk2:
                size: 5G
                import_url: http://mirror.example/data.qcow2
            """, TestContext.Current.CancellationToken);

        var topology = await Topologies.LoadAsync(new TopologyRequest
        {
            NodeCounts = "undercloud:1,opstools:2", TopologyDirectory = directory.Path, BaseImageUrl = Rhel,
        });

        var opstools = topology.Nodes.Single(node => node.Name == "opstools-1");
        Assert.Equal("http://mirror.example/centos/CentOS-7-GenericCloud.qcow2", opstools.Disks[0].BackingImageUrl?.AbsoluteUri);
        Assert.Equal("http://mirror.example/data.qcow2", opstools.Disks[1].BackingImageUrl?.AbsoluteUri);
        Assert.Equal(Rhel, topology.Nodes.Single(node => node.Name == "undercloud-0").Disks[0].BackingImageUrl?.AbsoluteUri);
        // Three images, each fetched once for all the disks built on it.
        Assert.Equal(3, topology.Images.Count);
        Assert.Equal(["opstools-0", "opstools-1"], topology.Images.Single(i => i.Url.AbsolutePath.EndsWith("data.qcow2", StringComparison.Ordinal)).Users.Select(u => u.Node));
        Assert.Equal(5L << 30, topology.Images.Single(i => i.Url.AbsolutePath.EndsWith("data.qcow2", StringComparison.Ordinal)).Users[0].SizeBytes);
    }

    [Fact]
    public async Task Without_an_image_os_nodes_get_a_warning_and_a_blank_disk()
    {
        var result = await TopologyLoader.LoadAsync(new TopologyRequest { NodeCounts = "undercloud:1" }, TestContext.Current.CancellationToken);

        Assert.Contains(result.Warnings, w => w.Contains("no --image-url (or --image) was given", StringComparison.Ordinal));
        Assert.Null(result.Topology!.Nodes[0].Disks[0].BackingImage);
        Assert.Empty(result.Topology.Images);
    }

    [Fact]
    public async Task The_topology_hash_does_not_change_for_labs_without_an_image_url()
    {
        // Existing labs keep their ownership metadata: the new field is left out of the hash when it is empty.
        var plain = await Topologies.LoadAsync(new TopologyRequest { NodeCounts = "undercloud:1", BaseImage = "/images/base.qcow2" });
        var viaUrl = await Topologies.LoadAsync(new TopologyRequest { NodeCounts = "undercloud:1", BaseImageUrl = Rhel });

        Assert.DoesNotContain("BackingImageUrl", System.Text.Json.JsonSerializer.Serialize(plain), StringComparison.Ordinal);
        Assert.NotEqual(plain.Hash, viaUrl.Hash);
    }

    [Theory]
    [InlineData("https://images.example/rhel-9.qcow2", "-rhel-9.qcow2")]
    [InlineData("http://images.example/Fedora%20Cloud.raw?token=1", "-Fedora_Cloud.raw.qcow2")]
    [InlineData("file:///srv/images/cirros.img", "-cirros.img.qcow2")]
    [InlineData("https://images.example/..hidden", "-hidden.qcow2")]
    public void Cache_paths_are_per_url_with_a_safe_file_name(string url, string ending)
    {
        var path = BaseImages.CachePath(new Uri(url));

        Assert.StartsWith(BaseImages.CacheDirectory + "/", path, StringComparison.Ordinal);
        Assert.EndsWith(ending, path, StringComparison.Ordinal);
        Assert.Matches("^[0-9a-f]{16}-", Path.GetFileName(path));
        Assert.Equal(path, BaseImages.CachePath(new Uri(url)));
    }

    [Fact]
    public void Two_urls_with_one_file_name_get_two_cache_files()
    {
        Assert.NotEqual(BaseImages.CachePath(new Uri("http://a.example/rhel.qcow2")), BaseImages.CachePath(new Uri("http://b.example/rhel.qcow2")));
    }

    [Theory]
    [InlineData("rhel.qcow2", "is not an image URL")]
    [InlineData("/var/lib/libvirt/images/rhel.qcow2", "is not an image URL")]
    [InlineData("gopher://x/rhel.qcow2", "is not an image URL")]
    [InlineData("http://images.example/", "names no file")]
    [InlineData("http:///rhel.qcow2", "is not an image URL")]
    public void Urls_that_cannot_be_downloaded_are_refused(string text, string problem)
    {
        Assert.False(BaseImages.TryParseUrl(text, out _, out var message));
        Assert.Contains(problem, message, StringComparison.Ordinal);
    }
}
