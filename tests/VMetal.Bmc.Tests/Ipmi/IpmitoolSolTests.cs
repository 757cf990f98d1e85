using VMetal.Bmc.Machines;
using VMetal.Testing.Bmc;

namespace VMetal.Bmc.Tests.Ipmi;

/// <summary>The real ipmitool's Serial-over-LAN (what Ironic's ipmitool-socat console runs) against an in-memory machine's echoing console.</summary>
public sealed class IpmitoolSolTests : IpmitoolTest
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    [Theory]
    [InlineData(3)]
    [InlineData(17)]
    public async Task SolActivateShowsTheMachinesOutputAndTypesIntoIt(int cipherSuite)
    {
        await Bmc.Backend.PowerAsync(Bmc.Machine.Id, PowerAction.On, CancellationToken.None);
        var ipmitool = Bmc.Ipmitool(cipherSuite);
        await using var sol = ipmitool.StartSol();
        await sol.WaitForAsync("[SOL Session operational", Wait);
        await WaitForConsoleAsync();

        Bmc.Backend.PrintToConsole(Bmc.Machine.Id, "iPXE initialising devices...\r\n");
        await sol.WaitForAsync("iPXE initialising devices...", Wait);

        // The console echoes what is typed, as a guest shell does: it comes back through SOL.
        await sol.TypeAsync("hello-from-ipmitool");
        await sol.WaitForAsync("hello-from-ipmitool", Wait);
        Assert.Equal("hello-from-ipmitool", Bmc.Backend.ConsoleInput(Bmc.Machine.Id));

        // Long output takes several packets of at most 251 characters, in order.
        var longLine = string.Concat(Enumerable.Range(0, 300).Select(i => (char)('a' + (i % 26)))) + "|end";
        Bmc.Backend.PrintToConsole(Bmc.Machine.Id, longLine);
        await sol.WaitForAsync(longLine, Wait);

        Assert.Equal(0, await sol.QuitAsync(Wait));
        await WaitUntilAsync(() => Bmc.Backend.OpenConsoles(Bmc.Machine.Id) == 0);
        Assert.Contains("Info: SOL payload already de-activated", (await ipmitool.RunAsync("sol deactivate")).Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ASecondActivationIsRefusedAndSolDeactivateFromAnotherSessionFreesIt()
    {
        var ipmitool = Bmc.Ipmitool();
        await using var first = ipmitool.StartSol();
        await first.WaitForAsync("[SOL Session operational", Wait);

        await using (var second = ipmitool.StartSol())
        {
            await second.WaitForAsync("Info: SOL payload already active on another session", Wait);
        }

        var deactivate = await ipmitool.RunAsync("sol deactivate");
        Assert.Equal(0, deactivate.ExitCode);

        await using var third = ipmitool.StartSol();
        await third.WaitForAsync("[SOL Session operational", Wait);
        Assert.Equal(0, await third.QuitAsync(Wait));
    }

    [Fact]
    public async Task SolStartedWhileTheMachineIsOffShowsItsOutputOnceItIsPoweredOn()
    {
        var ipmitool = Bmc.Ipmitool();
        await using var sol = ipmitool.StartSol();
        await sol.WaitForAsync("[SOL Session operational", Wait);
        Assert.Equal(0, Bmc.Backend.OpenConsoles(Bmc.Machine.Id));

        Testing.ProcessResult powerOn = await ipmitool.RunAsync("power on");
        Assert.Equal(0, powerOn.ExitCode);
        await WaitForConsoleAsync();
        Bmc.Backend.PrintToConsole(Bmc.Machine.Id, "SeaBIOS (version 1.16.2)\r\n");

        await sol.WaitForAsync("SeaBIOS (version 1.16.2)", Wait);
        Assert.Equal(0, await sol.QuitAsync(Wait));
    }

    [Fact]
    public async Task ABurstLargerThanTheBmcsBufferArrivesWholeAndInOrder()
    {
        await Bmc.Backend.PowerAsync(Bmc.Machine.Id, PowerAction.On, CancellationToken.None);
        await using var sol = Bmc.Ipmitool().StartSol();
        await sol.WaitForAsync("[SOL Session operational", Wait);
        await WaitForConsoleAsync();

        // 100 kB at once, more than the 64 KiB the BMC queues: the rest waits in the console until ipmitool catches up.
        var burst = string.Concat(Enumerable.Range(0, 100_000).Select(i => (char)('a' + (i % 26)))) + "|end";
        Bmc.Backend.PrintToConsole(Bmc.Machine.Id, burst);

        await sol.WaitForAsync("|end", TimeSpan.FromSeconds(30));
        Assert.Contains(burst, sol.Output, StringComparison.Ordinal);
        Assert.Equal(0, await sol.QuitAsync(Wait));
    }

    [Fact]
    public async Task SolInfoShowsTheConfiguration()
    {
        var info = await Bmc.Ipmitool().RunAsync("sol info");

        Ipmitool.AssertSays(info, "Enabled                         : true");
        Ipmitool.AssertSays(info, "Force Encryption                : true");
        Ipmitool.AssertSays(info, "Privilege Level                 : USER");
        Ipmitool.AssertSays(info, "Volatile Bit Rate (kbps)        : 115.2");
        Ipmitool.AssertSays(info, $"Payload Port                    : {Bmc.EndPoint.Port}");
    }

    private Task WaitForConsoleAsync() => WaitUntilAsync(() => Bmc.Backend.OpenConsoles(Bmc.Machine.Id) == 1);

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + Wait;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met in time");
            await Task.Delay(20);
        }
    }
}
