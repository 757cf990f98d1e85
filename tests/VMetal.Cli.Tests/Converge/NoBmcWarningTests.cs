using VMetal.Cli.Commands;
using VMetal.Deployment;

namespace VMetal.Cli.Tests.Converge;

/// <summary>`up --bmc none` says once what a lab without BMCs means for Ironic, and how to get BMCs.</summary>
public sealed class NoBmcWarningTests
{
    [Fact]
    public void A_lab_with_bare_metal_nodes_and_no_bmcs_is_warned_about_with_the_options_that_give_bmcs()
    {
        var warning = UpCommand.NoBmcWarning(BmcProtocols.None, bareMetalNodes: 3);

        Assert.NotNull(warning);
        Assert.Contains("3 bare-metal node(s) have no BMC", warning, StringComparison.Ordinal);
        Assert.Contains("Ironic cannot power them", warning, StringComparison.Ordinal);
        Assert.Contains("'manual-management'", warning, StringComparison.Ordinal);
        Assert.EndsWith("pass --bmc ipmi|redfish|both", warning, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(BmcProtocols.Ipmi, 3)]
    [InlineData(BmcProtocols.Redfish, 3)]
    [InlineData(BmcProtocols.Both, 3)]
    [InlineData(BmcProtocols.None, 0)]
    public void Labs_with_bmcs_or_without_bare_metal_nodes_get_no_warning(BmcProtocols protocols, int bareMetalNodes) =>
        Assert.Null(UpCommand.NoBmcWarning(protocols, bareMetalNodes));
}
