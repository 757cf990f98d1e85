using VMetal.Bmc.Machines;
using VMetal.Testing;
using VMetal.Testing.Bmc;

namespace VMetal.Bmc.Tests.Ipmi;

/// <summary>The real ipmitool (lanplus) against the IPMI server and an in-memory machine on 127.0.0.1.</summary>
public sealed class IpmitoolTests : IAsyncLifetime
{
    private IpmiTestBmc _bmc = null!;

    public async ValueTask InitializeAsync()
    {
        Assert.SkipUnless(Ipmitool.IsInstalled, "ipmitool is not installed (apt-get install ipmitool)");
        _bmc = await IpmiTestBmc.StartAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (_bmc is not null)
        {
            await _bmc.DisposeAsync();
        }
    }

    [Theory]
    [InlineData(3)]
    [InlineData(17)]
    public async Task PowerCommandsChangeTheMachineAndStatusReportsIt(int cipherSuite)
    {
        var ipmitool = _bmc.Ipmitool(cipherSuite);

        Ipmitool.AssertSays(await ipmitool.RunAsync("power status"), "Chassis Power is off");
        Ipmitool.AssertSays(await ipmitool.RunAsync("power on"), "Chassis Power Control: Up/On");
        Assert.Equal(PowerState.On, _bmc.Current.Power);
        Ipmitool.AssertSays(await ipmitool.RunAsync("power status"), "Chassis Power is on");

        Ipmitool.AssertSays(await ipmitool.RunAsync("power cycle"), "Chassis Power Control: Cycle");
        Ipmitool.AssertSays(await ipmitool.RunAsync("power reset"), "Chassis Power Control: Reset");
        Ipmitool.AssertSays(await ipmitool.RunAsync("power diag"), "Chassis Power Control: Diag");
        Ipmitool.AssertSays(await ipmitool.RunAsync("power soft"), "Chassis Power Control: Soft");
        Assert.Equal(PowerState.Off, _bmc.Current.Power);
        Ipmitool.AssertSays(await ipmitool.RunAsync("power on"), "Chassis Power Control: Up/On");
        Ipmitool.AssertSays(await ipmitool.RunAsync("power off"), "Chassis Power Control: Down/Off");
        Assert.Equal(PowerState.Off, _bmc.Current.Power);

        Assert.Equal(
            [PowerAction.On, PowerAction.PowerCycle, PowerAction.ForceRestart, PowerAction.Nmi, PowerAction.GracefulShutdown, PowerAction.On, PowerAction.ForceOff],
            _bmc.Backend.ActionLog.Select(entry => entry.Action));
    }

    [Fact]
    public async Task DefaultCipherSuiteSelectionWorks()
    {
        // Without -C, ipmitool asks Get Channel Cipher Suites and picks 17 when it is offered.
        Ipmitool.AssertSays(await _bmc.Ipmitool().RunAsync("power status"), "Chassis Power is off");
    }

    [Theory]
    [InlineData(3)]
    [InlineData(17)]
    public async Task WrongPasswordFailsAndChangesNothing(int cipherSuite)
    {
        var result = await _bmc.Ipmitool(cipherSuite, password: "not-the-password").RunAsync("power on");

        Assert.NotEqual(0, result.ExitCode);
        Assert.Equal(PowerState.Off, _bmc.Current.Power);
        Assert.Empty(_bmc.Backend.ActionLog);
    }

    [Fact]
    public async Task CipherSuiteZeroIsRefused()
    {
        var result = await _bmc.Ipmitool(0).RunAsync("power on");

        Assert.NotEqual(0, result.ExitCode);
        Assert.Empty(_bmc.Backend.ActionLog);
    }

    [Fact]
    public async Task PowerCycleWhileOffIsRefusedWithNotInPresentState()
    {
        var result = await _bmc.Ipmitool(17).RunAsync("power cycle");

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("Command not supported in present state", result.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(3)]
    [InlineData(17)]
    public async Task BootdevSetsTheBootOverrideOnceOrPersistent(int cipherSuite)
    {
        var ipmitool = _bmc.Ipmitool(cipherSuite);

        Ipmitool.AssertSays(await ipmitool.RunAsync("chassis bootdev pxe"), "Set Boot Device to pxe");
        Assert.Equal(new BootSettings(BootTarget.Pxe, BootOverride.Once, BootMode.Legacy), _bmc.Current.Boot);
        var flags = await ipmitool.RunAsync("chassis bootparam get 5");
        Ipmitool.AssertSays(flags, "Boot Flag Valid");
        Ipmitool.AssertSays(flags, "Options apply to only next boot");
        Ipmitool.AssertSays(flags, "Force PXE");

        Ipmitool.AssertSays(await ipmitool.RunAsync("chassis bootdev disk options=persistent"), "Set Boot Device to disk");
        Assert.Equal(new BootSettings(BootTarget.Hdd, BootOverride.Continuous, BootMode.Legacy), _bmc.Current.Boot);
        flags = await ipmitool.RunAsync("chassis bootparam get 5");
        Ipmitool.AssertSays(flags, "Options apply to all future boots");
        Ipmitool.AssertSays(flags, "Force Boot from default Hard-Drive");

        Ipmitool.AssertSays(await ipmitool.RunAsync("chassis bootdev cdrom options=efiboot"), "Set Boot Device to cdrom");
        Assert.Equal(new BootSettings(BootTarget.Cd, BootOverride.Once, BootMode.Uefi), _bmc.Current.Boot);
        Ipmitool.AssertSays(await ipmitool.RunAsync("chassis bootparam get 5"), "BIOS EFI boot");
    }

    [Fact]
    public async Task OnceOverrideIsUsedUpByTheNextBoot()
    {
        var ipmitool = _bmc.Ipmitool(17);
        Ipmitool.AssertSays(await ipmitool.RunAsync("chassis bootdev pxe"), "Set Boot Device to pxe");

        Ipmitool.AssertSays(await ipmitool.RunAsync("power on"), "Chassis Power Control: Up/On");

        Assert.Equal(new BootSettings(BootTarget.Hdd, BootOverride.Continuous, BootMode.Legacy), _bmc.Current.Boot);
    }

    [Theory]
    [InlineData("floppy")]
    [InlineData("bios")] // libvirt cannot stop a domain in its firmware setup
    public async Task UnsupportedBootDeviceIsRefused(string device)
    {
        var result = await _bmc.Ipmitool(17).RunAsync($"chassis bootdev {device}");

        // ipmitool exits 0 here even though the BMC refused; its message is what tells.
        Assert.Contains("Set Chassis Boot Parameter 5 failed: Invalid data field in request", result.Stderr, StringComparison.Ordinal);
        Assert.Equal(BootTarget.Hdd, _bmc.Current.Boot.Target);
    }

    [Fact]
    public async Task ChassisStatusMcInfoAndGuidWork()
    {
        var ipmitool = _bmc.Ipmitool(17);
        Ipmitool.AssertSays(await ipmitool.RunAsync("chassis status"), "System Power         : off");
        Ipmitool.AssertSays(await ipmitool.RunAsync("mc info"), "IPMI Version              : 2.0");
        Ipmitool.AssertSays(await ipmitool.RunAsync("mc guid"), _bmc.Machine.Id.ToString());
    }

    [Fact]
    public async Task UnknownCommandGetsInvalidCommand()
    {
        // Get SDR Repository Info: storage netfn 0x0a, command 0x20.
        var result = await _bmc.Ipmitool(17).RunAsync("raw 0x0a 0x20");

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("rsp=0xc1", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UndefinedMachineStopsAnswering()
    {
        var endPoint = _bmc.EndPoint;
        _bmc.Backend.Undefine(_bmc.Machine.Id);
        await WaitUntilAsync(() => !_bmc.Server.EndPoints.ContainsKey(_bmc.Machine.Id));

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
