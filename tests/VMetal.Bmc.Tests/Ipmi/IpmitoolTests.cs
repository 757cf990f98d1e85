using VMetal.Bmc.Machines;
using VMetal.Testing;
using VMetal.Testing.Bmc;

namespace VMetal.Bmc.Tests.Ipmi;

/// <summary>The real ipmitool (lanplus) against the IPMI server and an in-memory machine on 127.0.0.1.</summary>
public sealed class IpmitoolTests : IpmitoolTest
{
    [Theory]
    [InlineData(3)]
    [InlineData(17)]
    public async Task PowerCommandsChangeTheMachineAndStatusReportsIt(int cipherSuite)
    {
        var ipmitool = Bmc.Ipmitool(cipherSuite);

        Ipmitool.AssertSays(await ipmitool.RunAsync("power status"), "Chassis Power is off");
        Ipmitool.AssertSays(await ipmitool.RunAsync("power on"), "Chassis Power Control: Up/On");
        Assert.Equal(PowerState.On, Bmc.Current.Power);
        Ipmitool.AssertSays(await ipmitool.RunAsync("power status"), "Chassis Power is on");

        Ipmitool.AssertSays(await ipmitool.RunAsync("power cycle"), "Chassis Power Control: Cycle");
        Ipmitool.AssertSays(await ipmitool.RunAsync("power reset"), "Chassis Power Control: Reset");
        Ipmitool.AssertSays(await ipmitool.RunAsync("power diag"), "Chassis Power Control: Diag");
        Ipmitool.AssertSays(await ipmitool.RunAsync("power soft"), "Chassis Power Control: Soft");
        Assert.Equal(PowerState.Off, Bmc.Current.Power);
        Ipmitool.AssertSays(await ipmitool.RunAsync("power on"), "Chassis Power Control: Up/On");
        Ipmitool.AssertSays(await ipmitool.RunAsync("power off"), "Chassis Power Control: Down/Off");
        Assert.Equal(PowerState.Off, Bmc.Current.Power);

        Assert.Equal(
            [PowerAction.On, PowerAction.PowerCycle, PowerAction.ForceRestart, PowerAction.Nmi, PowerAction.GracefulShutdown, PowerAction.On, PowerAction.ForceOff],
            Bmc.Backend.ActionLog.Select(entry => entry.Action));
    }

    [Fact]
    public async Task DefaultCipherSuiteSelectionWorks()
    {
        // Without -C, ipmitool asks Get Channel Cipher Suites and picks 17 when it is offered.
        Ipmitool.AssertSays(await Bmc.Ipmitool().RunAsync("power status"), "Chassis Power is off");
    }

    [Theory]
    [InlineData(3)]
    [InlineData(17)]
    public async Task WrongPasswordFailsAndChangesNothing(int cipherSuite)
    {
        var result = await Bmc.Ipmitool(cipherSuite, password: "not-the-password").RunAsync("power on");

        Assert.NotEqual(0, result.ExitCode);
        Assert.Equal(PowerState.Off, Bmc.Current.Power);
        Assert.Empty(Bmc.Backend.ActionLog);
    }

    [Fact]
    public async Task CipherSuiteZeroIsRefused()
    {
        var result = await Bmc.Ipmitool(0).RunAsync("power on");

        Assert.NotEqual(0, result.ExitCode);
        Assert.Empty(Bmc.Backend.ActionLog);
    }

    [Theory]
    [InlineData("cycle", "Chassis Power Control: Cycle", PowerAction.PowerCycle)]
    [InlineData("reset", "Chassis Power Control: Reset", PowerAction.ForceRestart)]
    public async Task CycleAndResetPowerOnAMachineThatIsOff(string command, string says, PowerAction action)
    {
        Ipmitool.AssertSays(await Bmc.Ipmitool(17).RunAsync($"power {command}"), says);

        Assert.Equal(PowerState.On, Bmc.Current.Power);
        Assert.Equal([action], Bmc.Backend.ActionLog.Select(entry => entry.Action));
    }

    [Fact]
    public async Task DiagWhileOffIsRefusedWithNotInPresentState()
    {
        var result = await Bmc.Ipmitool(17).RunAsync("power diag");

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("Command not supported in present state", result.Stderr, StringComparison.Ordinal);
        Assert.Equal(PowerState.Off, Bmc.Current.Power);
    }

    [Theory]
    [InlineData(3)]
    [InlineData(17)]
    public async Task BootdevSetsTheBootOverrideOnceOrPersistent(int cipherSuite)
    {
        var ipmitool = Bmc.Ipmitool(cipherSuite);

        Ipmitool.AssertSays(await ipmitool.RunAsync("chassis bootdev pxe"), "Set Boot Device to pxe");
        Assert.Equal(new BootSettings(BootTarget.Pxe, BootOverride.Once, BootMode.Legacy), Bmc.Current.Boot);
        var flags = await ipmitool.RunAsync("chassis bootparam get 5");
        Ipmitool.AssertSays(flags, "Boot Flag Valid");
        Ipmitool.AssertSays(flags, "Options apply to only next boot");
        Ipmitool.AssertSays(flags, "Force PXE");

        Ipmitool.AssertSays(await ipmitool.RunAsync("chassis bootdev disk options=persistent"), "Set Boot Device to disk");
        Assert.Equal(new BootSettings(BootTarget.Hdd, BootOverride.Continuous, BootMode.Legacy), Bmc.Current.Boot);
        flags = await ipmitool.RunAsync("chassis bootparam get 5");
        Ipmitool.AssertSays(flags, "Options apply to all future boots");
        Ipmitool.AssertSays(flags, "Force Boot from default Hard-Drive");

        Ipmitool.AssertSays(await ipmitool.RunAsync("chassis bootdev cdrom options=efiboot"), "Set Boot Device to cdrom");
        Assert.Equal(new BootSettings(BootTarget.Cd, BootOverride.Once, BootMode.Uefi), Bmc.Current.Boot);
        Ipmitool.AssertSays(await ipmitool.RunAsync("chassis bootparam get 5"), "BIOS EFI boot");
    }

    [Fact]
    public async Task EfiFlagSwitchesTheFirmwareBothWays()
    {
        var ipmitool = Bmc.Ipmitool(17);

        Ipmitool.AssertSays(await ipmitool.RunAsync("chassis bootdev pxe options=efiboot,persistent"), "Set Boot Device to pxe");
        Assert.Equal(BootMode.Uefi, Bmc.Current.Boot.Mode);
        Ipmitool.AssertSays(await ipmitool.RunAsync("chassis bootparam get 5"), "BIOS EFI boot");

        // Without efiboot ipmitool asks for legacy BIOS, and gets it, as a real server that honours the bit would do.
        Ipmitool.AssertSays(await ipmitool.RunAsync("chassis bootdev disk options=persistent"), "Set Boot Device to disk");
        Assert.Equal(new BootSettings(BootTarget.Hdd, BootOverride.Continuous, BootMode.Legacy), Bmc.Current.Boot);
        Ipmitool.AssertSays(await ipmitool.RunAsync("chassis bootparam get 5"), "BIOS PC Compatible (legacy) boot");
    }

    [Fact]
    public async Task OnceOverrideIsUsedUpByTheNextBoot()
    {
        var ipmitool = Bmc.Ipmitool(17);
        Ipmitool.AssertSays(await ipmitool.RunAsync("chassis bootdev pxe"), "Set Boot Device to pxe");

        Ipmitool.AssertSays(await ipmitool.RunAsync("power on"), "Chassis Power Control: Up/On");

        Assert.Equal(new BootSettings(BootTarget.Hdd, BootOverride.Continuous, BootMode.Legacy), Bmc.Current.Boot);
    }

    [Theory]
    [InlineData("floppy")]
    [InlineData("bios")] // libvirt cannot stop a domain in its firmware setup
    public async Task UnsupportedBootDeviceIsRefused(string device)
    {
        var result = await Bmc.Ipmitool(17).RunAsync($"chassis bootdev {device}");

        // ipmitool exits 0 here even though the BMC refused; its message is what tells.
        Assert.Contains("Set Chassis Boot Parameter 5 failed: Invalid data field in request", result.Stderr, StringComparison.Ordinal);
        Assert.Equal(BootTarget.Hdd, Bmc.Current.Boot.Target);
    }

    [Fact]
    public async Task ChassisStatusMcInfoAndGuidWork()
    {
        var ipmitool = Bmc.Ipmitool(17);
        Ipmitool.AssertSays(await ipmitool.RunAsync("chassis status"), "System Power         : off");
        Ipmitool.AssertSays(await ipmitool.RunAsync("mc info"), "IPMI Version              : 2.0");
        var guid = await ipmitool.RunAsync("mc guid");
        Ipmitool.AssertSays(guid, $"System GUID   : {Bmc.Machine.Id}");
        Ipmitool.AssertSays(guid, "GUID Encoding : IPMI"); // not "SMBIOS (WARNING: IPMI Specification violation!)"
    }

    [Theory]
    [InlineData("raw 0x06 0x25")] // Get Watchdog Timer
    [InlineData("raw 0x0a 0x44 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0")] // Add SEL Entry
    [InlineData("raw 0x0c 0x01 0x01 0x03 10 0 0 1")] // Set LAN Configuration Parameters: nothing here can be set
    public async Task UnknownCommandGetsInvalidCommand(string command)
    {
        var result = await Bmc.Ipmitool(17).RunAsync(command);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("rsp=0xc1", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UndefinedMachineStopsAnswering()
    {
        var endPoint = Bmc.EndPoint;
        Bmc.Backend.Undefine(Bmc.Machine.Id);
        await WaitUntilAsync(() => !Bmc.Server.EndPoints.ContainsKey(Bmc.Machine.Id));

        var result = await new Ipmitool(endPoint, IpmiTestBmc.UserName, IpmiTestBmc.Password, 17).RunAsync("power status");

        Assert.NotEqual(0, result.ExitCode);
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        for (var i = 0; i < 100 && !condition(); i++)
        {
            await Task.Delay(20);
        }

        Assert.True(condition());
    }
}
