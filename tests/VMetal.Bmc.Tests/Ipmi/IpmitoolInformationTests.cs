using VMetal.Testing;
using VMetal.Testing.Bmc;

namespace VMetal.Bmc.Tests.Ipmi;

/// <summary>
/// What ipmitool (and people poking at a node) read besides power and boot: LAN configuration, session and channel
/// information, the SDR repository, the SEL and the FRU inventory. Each must succeed with ipmitool's own output.
/// </summary>
public sealed class IpmitoolInformationTests : IpmitoolTest
{
    [Fact]
    public async Task LanPrintShowsTheBmcAddressAndCipherSuites()
    {
        var lan = await Bmc.Ipmitool(17).RunAsync("lan print");

        Ipmitool.AssertSays(lan, "IP Address Source       : Static Address");
        Ipmitool.AssertSays(lan, "IP Address              : 127.0.0.1");
        Ipmitool.AssertSays(lan, "Subnet Mask             : 255.0.0.0"); // the mask of the interface holding the address (lo)
        Ipmitool.AssertSays(lan, "MAC Address             : 00:00:00:00:00:00"); // lo has no MAC
        Ipmitool.AssertSays(lan, "RMCP+ Cipher Suites     : 17,3");
        Ipmitool.AssertSays(lan, "Cipher Suite Priv Max   : aaXXXXXXXXXXXXX");
        // What this BMC has no value for is "not supported", which ipmitool skips.
        Assert.DoesNotContain("Default Gateway IP", lan.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SessionInfoShowsTheCallersOwnSession()
    {
        var session = await Bmc.Ipmitool(3).RunAsync("session info active");

        Ipmitool.AssertSays(session, "session handle                : 1");
        Ipmitool.AssertSays(session, "active sessions               : 1");
        Ipmitool.AssertSays(session, "privilege level               : ADMINISTRATOR");
        Ipmitool.AssertSays(session, "session type                  : IPMIv2/RMCP+");
        Ipmitool.AssertSays(session, "console ip                    : 127.0.0.1");
    }

    [Fact]
    public async Task ChannelInfoDescribesTheLanChannel()
    {
        var channel = await Bmc.Ipmitool(17).RunAsync("channel info 1");

        Ipmitool.AssertSays(channel, "Channel Medium Type   : 802.3 LAN");
        Ipmitool.AssertSays(channel, "Session Support       : multi-session");
        Ipmitool.AssertSays(channel, "Active Session Count  : 1");
        Ipmitool.AssertSays(channel, "Access Mode         : always available");
        Assert.NotEqual(0, (await Bmc.Ipmitool(17).RunAsync("channel info 2")).ExitCode);
    }

    [Fact]
    public async Task UserListShowsTheWorkspaceUserAsUserTwo()
    {
        var users = await Bmc.Ipmitool(17).RunAsync("user list 1");

        Ipmitool.AssertSays(users, $"2   {IpmiTestBmc.UserName}");
        var lines = users.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.EndsWith("NO ACCESS", lines[1].TrimEnd(), StringComparison.Ordinal); // user 1, the anonymous user, is disabled
        Assert.EndsWith("ADMINISTRATOR", lines[2].TrimEnd(), StringComparison.Ordinal);
        Assert.Equal(3, lines.Length);
    }

    [Theory]
    [InlineData("sdr list")]
    [InlineData("sdr elist")]
    [InlineData("sensor list")]
    [InlineData("sel list")]
    public async Task SensorAndEventListsAreEmptyAndSucceed(string command)
    {
        var result = await Bmc.Ipmitool(17).RunAsync(command);

        Assert.True(result.ExitCode == 0 && result.Stdout.Trim().Length == 0, $"expected empty success from {command}: {result}");
    }

    [Fact]
    public async Task SelInfoAndClearWorkOnTheEmptyLog()
    {
        var ipmitool = Bmc.Ipmitool(17);

        var info = await ipmitool.RunAsync("sel info");
        Ipmitool.AssertSays(info, "Entries          : 0");
        Ipmitool.AssertSays(info, "Last Add Time    : Not Available");
        Ipmitool.AssertSays(await ipmitool.RunAsync("sel clear"), "Clearing SEL");
        Assert.Contains("SEL has no entries", (await ipmitool.RunAsync("sel list")).Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SdrRepositoryHoldsOnlyTheControllerItself()
    {
        var ipmitool = Bmc.Ipmitool(17);

        Ipmitool.AssertSays(await ipmitool.RunAsync("sdr info"), "Record Count                        : 1");
        var all = await ipmitool.RunAsync("sdr list all");
        Ipmitool.AssertSays(all, "vmetal BMC       | Dynamic MC @ 20h  | ok");
        Assert.Single(all.Stdout.Trim().Split('\n'));
    }

    [Fact]
    public async Task FruPrintShowsTheNodeNameAndUuid()
    {
        var fru = await Bmc.Ipmitool(17).RunAsync("fru print");

        Ipmitool.AssertSays(fru, "Product Manufacturer  : vmetal");
        Ipmitool.AssertSays(fru, "Product Name          : node-0");
        Ipmitool.AssertSays(fru, $"Product Serial        : {Bmc.Machine.Id}");
    }

    [Fact]
    public async Task SelftestPassesAndMcInfoListsTheDevices()
    {
        var ipmitool = Bmc.Ipmitool(17);

        Ipmitool.AssertSays(await ipmitool.RunAsync("mc selftest"), "Selftest: passed");
        var info = await ipmitool.RunAsync("mc info");
        Ipmitool.AssertSays(info, "SDR Repository Device");
        Ipmitool.AssertSays(info, "FRU Inventory Device");
    }
}
