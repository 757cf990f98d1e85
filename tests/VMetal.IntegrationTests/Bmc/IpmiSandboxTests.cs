using VMetal.Testing;
using VMetal.Testing.Bmc;

namespace VMetal.IntegrationTests.Bmc;

/// <summary>The real ipmitool against the BMC, each change checked with virsh in the sandbox.</summary>
public sealed class IpmiSandboxTests(SandboxFixture sandbox)
    : SandboxBmcTest(sandbox, machines: 2, Ipmitool.IsInstalled, "ipmitool is not installed (apt-get install ipmitool)")
{
    [Theory]
    [InlineData(3, 0)]
    [InlineData(17, 1)]
    public async Task PowerCommandsDriveTheDomain(int cipherSuite, int machine)
    {
        var ipmitool = Lab.Ipmitool(machine, cipherSuite);

        Ipmitool.AssertSays(await ipmitool.RunAsync("power status"), "Chassis Power is off");
        Assert.Equal("shut off", await Lab.DomStateAsync(machine));

        Ipmitool.AssertSays(await ipmitool.RunAsync("power on"), "Chassis Power Control: Up/On");
        Assert.Equal("running", await SandboxBmcLab.EventuallyAsync(() => Lab.DomStateAsync(machine), "running"));
        Ipmitool.AssertSays(await ipmitool.RunAsync("power status"), "Chassis Power is on");

        // Each really restarts the domain: it comes back running with a new id.
        var firstId = await Lab.DomIdAsync(machine);
        Ipmitool.AssertSays(await ipmitool.RunAsync("power cycle"), "Chassis Power Control: Cycle");
        var cycledId = await RestartedAsync(machine, firstId);
        Ipmitool.AssertSays(await ipmitool.RunAsync("power reset"), "Chassis Power Control: Reset");
        await RestartedAsync(machine, cycledId);

        Ipmitool.AssertSays(await ipmitool.RunAsync("power diag"), "Chassis Power Control: Diag");
        Assert.Equal("running", await Lab.DomStateAsync(machine));

        Ipmitool.AssertSays(await ipmitool.RunAsync("power off"), "Chassis Power Control: Down/Off");
        Assert.Equal("shut off", await SandboxBmcLab.EventuallyAsync(() => Lab.DomStateAsync(machine), "shut off"));
        Ipmitool.AssertSays(await ipmitool.RunAsync("power status"), "Chassis Power is off");
    }

    [Theory]
    [InlineData(3)]
    [InlineData(17)]
    public async Task BootdevChangesThePersistentBootOrder(int cipherSuite)
    {
        var ipmitool = Lab.Ipmitool(0, cipherSuite);
        Assert.Equal("nic,disk once=False bios", await BootOfFirstAsync());

        Ipmitool.AssertSays(await ipmitool.RunAsync("chassis bootdev disk"), "Set Boot Device to disk");
        Assert.Equal("disk,nic once=True bios", await BootOfFirstAsync());
        var flags = await ipmitool.RunAsync("chassis bootparam get 5");
        Ipmitool.AssertSays(flags, "Options apply to only next boot");
        Ipmitool.AssertSays(flags, "Force Boot from default Hard-Drive");

        // The next boot uses the override; then the persistent order comes back.
        Ipmitool.AssertSays(await ipmitool.RunAsync("power on"), "Chassis Power Control: Up/On");
        Assert.Equal("nic,disk once=False bios", await SandboxBmcLab.EventuallyAsync(BootOfFirstAsync, "nic,disk once=False bios"));
        Ipmitool.AssertSays(await ipmitool.RunAsync("chassis bootparam get 5"), "Force PXE");

        Ipmitool.AssertSays(await ipmitool.RunAsync("chassis bootdev disk options=persistent"), "Set Boot Device to disk");
        Ipmitool.AssertSays(await ipmitool.RunAsync("power reset"), "Chassis Power Control: Reset");
        Assert.Equal("disk,nic once=False bios", await SandboxBmcLab.EventuallyAsync(BootOfFirstAsync, "disk,nic once=False bios"));
        Ipmitool.AssertSays(await ipmitool.RunAsync("chassis bootdev pxe options=persistent"), "Set Boot Device to pxe");
        Assert.Equal("nic,disk once=False bios", await SandboxBmcLab.EventuallyAsync(BootOfFirstAsync, "nic,disk once=False bios"));
    }

    [Fact]
    public async Task AResetAfterABootDeviceChangeRestartsColdSoTheFirmwareUsesIt()
    {
        var ipmitool = Lab.Ipmitool(0, 17);
        Ipmitool.AssertSays(await ipmitool.RunAsync("power on"), "Chassis Power Control: Up/On");
        Assert.Equal("running", await SandboxBmcLab.EventuallyAsync(() => Lab.DomStateAsync(0), "running"));
        var startedId = await Lab.DomIdAsync(0);

        // Boot settings unchanged: a reset (what the guest's own reboot does) stays a warm reset of the same QEMU process.
        // The wait gives the BMC time to handle the reset's event (a restart would show as a new domain id), and keeps
        // that event from being handled after the boot change below.
        await Lab.VirshOnAsync("reset", 0);
        await Task.Delay(TimeSpan.FromSeconds(2), TestContext.Current.CancellationToken);
        Assert.Equal(startedId, await Lab.DomIdAsync(0));
        Ipmitool.AssertSays(await ipmitool.RunAsync("chassis bootdev disk options=persistent"), "Set Boot Device to disk");
        Assert.Equal("nic,disk once=False bios", Describe(await Lab.BootAsync(0, running: true)));

        // Changed since the start: QEMU would boot the old order again, so the BMC turns the reset into a cold restart.
        await Lab.VirshOnAsync("reset", 0);
        await RestartedAsync(0, startedId);
        Assert.Equal("disk,nic once=False bios", Describe(await Lab.BootAsync(0, running: true)));
    }

    [Fact]
    public async Task BootdevCdromOnADomainWithoutADriveAddsAnEmptyOne()
    {
        var ipmitool = Lab.Ipmitool(0, 17);

        Ipmitool.AssertSays(await ipmitool.RunAsync("chassis bootdev cdrom"), "Set Boot Device to cdrom");

        Assert.Equal("cdrom,nic,disk once=True bios", await BootOfFirstAsync());
        Assert.Null(await Lab.CdromFileAsync(0));
        Ipmitool.AssertSays(await ipmitool.RunAsync("chassis bootparam get 5"), "Force Boot from CD/DVD");
        // BIOS setup cannot be done on libvirt: refused, and nothing changed.
        var bios = await ipmitool.RunAsync("chassis bootdev bios");
        Assert.Contains("Invalid data field in request", bios.Output, StringComparison.Ordinal); // 0xCC
        Assert.Equal("cdrom,nic,disk once=True bios", await BootOfFirstAsync());
    }

    [Theory]
    [InlineData("cycle", "Chassis Power Control: Cycle")]
    [InlineData("reset", "Chassis Power Control: Reset")]
    public async Task CycleAndResetStartADomainThatIsOffAndDiagIsRefused(string command, string says)
    {
        var ipmitool = Lab.Ipmitool(0, 17);

        var diag = await ipmitool.RunAsync("power diag");
        Assert.Contains("Command not supported in present state", diag.Stderr, StringComparison.Ordinal);
        Assert.Equal("shut off", await Lab.DomStateAsync(0));

        Ipmitool.AssertSays(await ipmitool.RunAsync($"power {command}"), says);
        Assert.Equal("running", await SandboxBmcLab.EventuallyAsync(() => Lab.DomStateAsync(0), "running"));
    }

    [Fact]
    public async Task EfiFlagSwitchesTheDomainsFirmwareBothWaysAndBootparamShowsIt()
    {
        var ipmitool = Lab.Ipmitool(0, 17);

        Ipmitool.AssertSays(await ipmitool.RunAsync("chassis bootdev pxe options=efiboot,persistent"), "Set Boot Device to pxe");
        Assert.Equal("nic,disk once=False efi", await BootOfFirstAsync());
        Ipmitool.AssertSays(await ipmitool.RunAsync("chassis bootparam get 5"), "BIOS EFI boot");

        Ipmitool.AssertSays(await ipmitool.RunAsync("chassis bootdev disk options=persistent"), "Set Boot Device to disk");
        Assert.Equal("disk,nic once=False bios", await BootOfFirstAsync());
        Ipmitool.AssertSays(await ipmitool.RunAsync("chassis bootparam get 5"), "BIOS PC Compatible (legacy) boot");
    }

    [Fact]
    public async Task BootparamReflectsAFirmwareChangedBehindTheBmcsBack()
    {
        var ipmitool = Lab.Ipmitool(0, 17);
        Ipmitool.AssertSays(await ipmitool.RunAsync("chassis bootparam get 5"), "BIOS PC Compatible (legacy) boot");

        await Lab.MakeUefiAsync(0);

        var flags = await SandboxBmcLab.EventuallyAsync(
            async () => (await ipmitool.RunAsync("chassis bootparam get 5")).Stdout.Contains("BIOS EFI boot", StringComparison.Ordinal), true);
        Assert.True(flags, "Get System Boot Options did not follow the domain to UEFI");
    }

    [Fact]
    public async Task InformationCommandsDescribeTheDomain()
    {
        var ipmitool = Lab.Ipmitool(1, 17);

        Ipmitool.AssertSays(await ipmitool.RunAsync("mc guid"), $"System GUID   : {Lab.Uuid(1)}");
        var fru = await ipmitool.RunAsync("fru print");
        Ipmitool.AssertSays(fru, $"Product Name          : {Lab.Name(1)}");
        Ipmitool.AssertSays(fru, $"Product Serial        : {Lab.Uuid(1)}");
        Ipmitool.AssertSays(await ipmitool.RunAsync("lan print"), "IP Address              : 127.0.0.1");
        Ipmitool.AssertSays(await ipmitool.RunAsync("session info active"), "session type                  : IPMIv2/RMCP+");
        Ipmitool.AssertSays(await ipmitool.RunAsync("user list 1"), $"2   {Lab.Config.Credentials.Username}");
        foreach (var empty in new[] { "sdr list", "sel list" })
        {
            var result = await ipmitool.RunAsync(empty);
            Assert.True(result.ExitCode == 0 && result.Stdout.Trim().Length == 0, $"{empty}: {result}");
        }
    }

    [Theory]
    [InlineData(3)]
    [InlineData(17)]
    public async Task WrongPasswordFailsAndLeavesTheDomainAlone(int cipherSuite)
    {
        var result = await Lab.Ipmitool(1, cipherSuite, password: "not-the-password").RunAsync("power on");

        Assert.NotEqual(0, result.ExitCode);
        Assert.Equal("shut off", await Lab.DomStateAsync(1));
    }

    [Fact]
    public async Task ChangesMadeOutsideTheBmcReachItThroughLibvirtEvents()
    {
        var ipmitool = Lab.Ipmitool(0, 17);

        await Lab.VirshOnAsync("start", 0);
        var on = await SandboxBmcLab.EventuallyAsync(async () => (await ipmitool.RunAsync("power status")).Stdout.Trim(), "Chassis Power is on");
        await Lab.VirshOnAsync("destroy", 0);
        var off = await SandboxBmcLab.EventuallyAsync(async () => (await ipmitool.RunAsync("power status")).Stdout.Trim(), "Chassis Power is off");

        Assert.Equal("Chassis Power is on", on);
        Assert.Equal("Chassis Power is off", off);
    }

    [Fact]
    public async Task UndefinedDomainStopsAnswering()
    {
        var ipmitool = Lab.Ipmitool(1, 17);
        Ipmitool.AssertSays(await ipmitool.RunAsync("power status"), "Chassis Power is off");

        await Lab.UndefineAsync(1);
        for (var i = 0; i < 50 && Lab.Host.IpmiEndPoints.ContainsKey(Lab.Uuid(1)); i++)
        {
            await Task.Delay(100, TestContext.Current.CancellationToken);
        }

        Assert.NotEqual(0, (await ipmitool.RunAsync("power status")).ExitCode);
        Ipmitool.AssertSays(await Lab.Ipmitool(0, 17).RunAsync("power status"), "Chassis Power is off");
    }

    /// <summary>Waits for the domain to run again under a new id after a restart, and returns that id.</summary>
    private async Task<string> RestartedAsync(int machine, string previousId)
    {
        var restarted = await SandboxBmcLab.EventuallyAsync(async () => await Lab.DomStateAsync(machine) == "running" && await Lab.DomIdAsync(machine) != previousId, true);
        Assert.True(restarted, $"{Lab.Name(machine)} did not restart");
        return await Lab.DomIdAsync(machine);
    }

    private async Task<string> BootOfFirstAsync() => Describe(await Lab.BootAsync(0));

    /// <summary>"nic,disk once=False bios": the boot order virsh shows, a pending once note, the firmware.</summary>
    private static string Describe((IReadOnlyList<string> Order, bool OncePending, string Firmware) boot) =>
        $"{string.Join(',', boot.Order)} once={boot.OncePending} {boot.Firmware}";
}
