using VMetal.Topology;

namespace VMetal.Tests.Topology;

public class ParsingTests
{
    [Theory]
    [InlineData("64G", 64L << 30)]
    [InlineData("64GiB", 64L << 30)]
    [InlineData("64g", 64L << 30)]
    [InlineData("512M", 512L << 20)]
    [InlineData("1T", 1L << 40)]
    [InlineData("1.5G", 3L << 29)]
    [InlineData("100K", 100L << 10)]
    [InlineData("4096", 4096L)]
    public void Disk_sizes_are_powers_of_1024_and_plain_numbers_are_bytes(string text, long bytes) =>
        Assert.Equal(bytes, Sizes.TryParse(text, plainUnit: 1));

    [Theory]
    [InlineData("64X")]
    [InlineData("-1G")]
    [InlineData("G")]
    [InlineData("")]
    [InlineData("64 GB")]
    [InlineData("0")]
    [InlineData("1e3")]
    public void Malformed_sizes_are_rejected(string text) => Assert.Null(Sizes.TryParse(text, plainUnit: 1));

    [Fact]
    public void Plain_memory_is_mebibytes() => Assert.Equal(8192L * Sizes.MiB, Sizes.TryParse("8192", Sizes.MiB));

    [Theory]
    [InlineData(68719476736L, "64G")]
    [InlineData(1610612736L, "1.5G")]
    [InlineData(512L, "512")]
    public void Sizes_format_compactly(long bytes, string text) => Assert.Equal(text, Sizes.Format(bytes));

    [Fact]
    public void Node_counts_parse_in_order()
    {
        var counts = NodeCounts.Parse(" undercloud:1, controller:3,compute:0 ", out var errors);
        Assert.Empty(errors);
        Assert.Equal([new NodeCount("undercloud", 1), new NodeCount("controller", 3), new NodeCount("compute", 0)], counts);
    }

    [Fact]
    public void Node_counts_split_paths_at_the_last_colon()
    {
        var counts = NodeCounts.Parse("./nodes/c:v2.yml:2", out var errors);
        Assert.Empty(errors);
        Assert.Equal("./nodes/c:v2.yml", Assert.Single(counts).Definition);
    }

    [Theory]
    [InlineData("10.0.{{ net }}.1", "10.0.7.1")]
    [InlineData("192.168.{{data_net}}.254", "192.168.24.254")]
    [InlineData("10.0.{{ net + 1 | string }}.1", "10.0.8.1")]
    [InlineData("10.0.0.1", "10.0.0.1")]
    public void Octet_placeholders_expand(string text, string expected)
    {
        Assert.Equal(expected, OctetTemplate.Expand(text, new NetworkOctets(7, 24), out var error));
        Assert.Null(error);
    }

    [Fact]
    public void Unknown_templates_are_errors()
    {
        Assert.Null(OctetTemplate.Expand("10.{{ prefix }}.0.1", NetworkOctets.Unprefixed, out var error));
        Assert.Contains("unsupported template '{{ prefix }}'", error, StringComparison.Ordinal);
        Assert.Null(OctetTemplate.Expand("10.0.{{ net + 1 }}.1", new NetworkOctets(255, 24), out error));
        Assert.Contains("gives 256", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("management", "management")]
    [InlineData("a-very-long-prefix-management", "a-very-lo-")]
    public void Bridge_names_fit_linux(string network, string expectedStart)
    {
        var bridge = SafeNames.BridgeName(network);
        Assert.StartsWith(expectedStart, bridge, StringComparison.Ordinal);
        Assert.True(bridge.Length <= SafeNames.MaxInterfaceNameLength);
        Assert.Equal(bridge, SafeNames.BridgeName(network));
        Assert.NotEqual(bridge, SafeNames.BridgeName(network, attempt: 1));
    }
}
