using VMetal.Bmc.Ipmi;
using VMetal.Bmc.Machines;

namespace VMetal.Bmc.Tests.Ipmi;

/// <summary>The RMCP+ session rules, checked with crafted datagrams against the responder.</summary>
public sealed class IpmiProtocolTests
{
    private static readonly byte[] ChassisStatus = [];

    [Theory]
    [InlineData(3)]
    [InlineData(17)]
    public async Task LoginAndCommandWorkWithBothCipherSuites(int suiteId)
    {
        var bmc = new InProcessBmc();
        var client = bmc.Client();

        Assert.True(await client.LoginAsync(Suite(suiteId)));
        var status = await client.CommandAsync(NetFns.Chassis, 0x01, ChassisStatus);

        Assert.Equal(CompletionCodes.Ok, status?.CompletionCode);
        Assert.Equal(0, status?.Data[0] & 1);
    }

    [Fact]
    public async Task WrongPasswordFailsAndTheAbandonedHandshakeExpires()
    {
        var bmc = new InProcessBmc();

        // RAKP 2 carries the BMC's proof of the real password; a console with another password rejects it.
        Assert.False(await bmc.Client(password: "wrong-password-1").LoginAsync(CipherSuite.Suite17));

        Assert.Equal(1, bmc.Sessions.Count);
        bmc.Clock.Advance(TimeSpan.FromSeconds(11));
        bmc.Sessions.RemoveExpired();
        Assert.Equal(0, bmc.Sessions.Count);
    }

    [Fact]
    public async Task ForgedRakp3IsRefusedWithInvalidIntegrityCheckValue()
    {
        var bmc = new InProcessBmc();
        var honest = bmc.Client();
        Assert.True(await honest.LoginAsync(CipherSuite.Suite3));
        var liar = bmc.Client(password: "not-the-password");
        await liar.LoginAsync(CipherSuite.Suite3); // stops after RAKP 2: the BMC's proof does not match
        var rakp1 = liar.Sent[^1];
        var managedId = rakp1.AsSpan(16 + 4, 4).ToArray();

        byte[] forged = [0x03, 0, 0, 0, .. managedId, .. new byte[20]];
        var answer = await bmc.ExchangeAsync(RmcpCodec.WritePlus((byte)PayloadType.Rakp3, 0, 0, forged, null));

        Assert.NotNull(answer);
        Assert.Equal((byte)PayloadType.Rakp4, answer[5]);
        Assert.Equal((byte)RakpStatus.InvalidIntegrityCheckValue, answer[17]);
        Assert.Equal(1, bmc.Sessions.Count); // only the honest session is left
    }

    [Fact]
    public async Task UnknownUserIsRefusedWithUnauthorizedName()
    {
        var bmc = new InProcessBmc();
        var client = bmc.Client(userName: "intruder");

        Assert.False(await client.LoginAsync(CipherSuite.Suite17));
        Assert.Equal(0, bmc.Sessions.Count);
    }

    [Fact]
    public async Task CipherSuiteWithoutAuthenticationIsRefused()
    {
        var bmc = new InProcessBmc();
        byte[] suiteZero = [0x01, 0x04, 0, 0, 1, 2, 3, 4, 0, 0, 0, 8, 0, 0, 0, 0, 1, 0, 0, 8, 0, 0, 0, 0, 2, 0, 0, 8, 0, 0, 0, 0];

        var answer = await bmc.ExchangeAsync(RmcpCodec.WritePlus((byte)PayloadType.OpenSessionRequest, 0, 0, suiteZero, null));

        Assert.NotNull(answer);
        Assert.Equal((byte)RakpStatus.NoCipherSuiteMatch, answer[17]);
        Assert.Equal(0, bmc.Sessions.Count);
    }

    [Fact]
    public async Task ReplayedPacketIsDroppedButARetryIsAnsweredWithoutActingTwice()
    {
        var bmc = new InProcessBmc();
        var client = bmc.Client();
        Assert.True(await client.LoginAsync(CipherSuite.Suite17));
        Assert.Equal(CompletionCodes.Ok, (await client.CommandAsync(NetFns.Chassis, 0x02, 0x01))?.CompletionCode);
        var powerOn = client.Sent[^1];

        Assert.Null(await bmc.ExchangeAsync(powerOn));

        Assert.Single(bmc.Backend.ActionLog);
    }

    [Fact]
    public async Task UnsignedPacketInASessionIsDropped()
    {
        var bmc = new InProcessBmc();
        var client = bmc.Client();
        Assert.True(await client.LoginAsync(CipherSuite.Suite17));
        var managedId = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(client.Sent[^1].AsSpan(6));

        var answer = await bmc.ExchangeAsync(RmcpCodec.WritePlus((byte)PayloadType.Ipmi, managedId, 50, TestIpmiClient.Request(NetFns.Chassis, 0x02, [0x01]), null));

        Assert.Null(answer);
        Assert.Empty(bmc.Backend.ActionLog);
    }

    [Fact]
    public async Task OperatorCommandsNeedOperatorPrivilege()
    {
        var bmc = new InProcessBmc();
        var client = bmc.Client();
        Assert.True(await client.LoginAsync(CipherSuite.Suite3));

        Assert.Equal(CompletionCodes.Ok, (await client.CommandAsync(NetFns.App, 0x3B, 0x02))?.CompletionCode); // down to User
        var control = await client.CommandAsync(NetFns.Chassis, 0x02, 0x01);

        Assert.Equal(CompletionCodes.InsufficientPrivilege, control?.CompletionCode);
        Assert.Empty(bmc.Backend.ActionLog);
    }

    [Fact]
    public async Task IdleSessionTimesOutAfterSixtySeconds()
    {
        var bmc = new InProcessBmc();
        var client = bmc.Client();
        Assert.True(await client.LoginAsync(CipherSuite.Suite17));

        bmc.Clock.Advance(TimeSpan.FromSeconds(59));
        Assert.NotNull(await client.CommandAsync(NetFns.Chassis, 0x01));
        bmc.Clock.Advance(TimeSpan.FromSeconds(61));

        Assert.Null(await client.CommandAsync(NetFns.Chassis, 0x01));
        Assert.Equal(0, bmc.Sessions.Count);
    }

    [Fact]
    public async Task ClosedSessionNoLongerAnswers()
    {
        var bmc = new InProcessBmc();
        var client = bmc.Client();
        Assert.True(await client.LoginAsync(CipherSuite.Suite17));
        var managedId = client.Sent[^1].AsSpan(6, 4).ToArray();

        Assert.Equal(CompletionCodes.Ok, (await client.CommandAsync(NetFns.App, 0x3C, managedId))?.CompletionCode);

        Assert.Null(await client.CommandAsync(NetFns.Chassis, 0x01));
        Assert.Equal(0, bmc.Sessions.Count);
    }

    [Fact]
    public async Task FloodOfOpenSessionsStaysBoundedAndLetsAUserIn()
    {
        var limits = IpmiSessionLimits.Default;
        var bmc = new InProcessBmc(limits);
        var established = bmc.Client();
        Assert.True(await established.LoginAsync(CipherSuite.Suite17));

        for (var i = 0; i < 1000; i++)
        {
            await bmc.Client().SendAsync(OpenSessionRequest(i + 1));
        }

        Assert.True(bmc.Sessions.Count <= limits.MaximumPending + 1, $"{bmc.Sessions.Count} sessions");
        Assert.NotNull(await established.CommandAsync(NetFns.Chassis, 0x01));
        Assert.True(await bmc.Client().LoginAsync(CipherSuite.Suite3));
    }

    [Fact]
    public async Task ActiveSessionsAreCappedWithInsufficientResources()
    {
        var bmc = new InProcessBmc(IpmiSessionLimits.Default with { MaximumActive = 2 });
        Assert.True(await bmc.Client().LoginAsync(CipherSuite.Suite17));
        Assert.True(await bmc.Client().LoginAsync(CipherSuite.Suite17));

        var answer = await bmc.ExchangeAsync(OpenSessionRequest(99));

        Assert.Equal((byte)RakpStatus.InsufficientResources, answer![17]);
        bmc.Clock.Advance(TimeSpan.FromSeconds(61));
        Assert.True(await bmc.Client().LoginAsync(CipherSuite.Suite17));
    }

    [Fact]
    public async Task AFullTableGivesTheLongestIdleSessionsSlotToANewClient()
    {
        var bmc = new InProcessBmc(IpmiSessionLimits.Default with { MaximumActive = 2 });
        var abandoned = bmc.Client(); // as an ipmitool killed with -9: never closes its session
        Assert.True(await abandoned.LoginAsync(CipherSuite.Suite17));
        bmc.Clock.Advance(TimeSpan.FromSeconds(3));
        var working = bmc.Client();
        Assert.True(await working.LoginAsync(CipherSuite.Suite17));
        bmc.Clock.Advance(TimeSpan.FromSeconds(3));
        Assert.NotNull(await working.CommandAsync(NetFns.Chassis, 0x01));

        Assert.True(await bmc.Client().LoginAsync(CipherSuite.Suite3));

        Assert.Null(await abandoned.CommandAsync(NetFns.Chassis, 0x01)); // its slot went to the new client
        Assert.NotNull(await working.CommandAsync(NetFns.Chassis, 0x01));
        Assert.Equal(2, bmc.Sessions.Count);
    }

    [Fact]
    public async Task SlowPowerActionIsAnsweredInTimeAndFinishesInTheBackground()
    {
        var bmc = new InProcessBmc(options: IpmiServerOptions.Default with { AnswerWithin = TimeSpan.FromMilliseconds(100) });
        bmc.Backend.PowerActionDelay = TimeSpan.FromSeconds(1);
        var client = bmc.Client();
        Assert.True(await client.LoginAsync(CipherSuite.Suite17));

        var answer = await client.CommandAsync(NetFns.Chassis, 0x02, 0x01);

        Assert.Equal(CompletionCodes.Ok, answer?.CompletionCode);
        Assert.Equal(PowerState.Off, bmc.Backend.Find(bmc.Machine.Id)!.Power); // still starting
        for (var i = 0; i < 50 && bmc.Backend.Find(bmc.Machine.Id)!.Power == PowerState.Off; i++)
        {
            await Task.Delay(100, TestContext.Current.CancellationToken);
        }

        Assert.Equal(PowerState.On, bmc.Backend.Find(bmc.Machine.Id)!.Power);
    }

    [Fact]
    public async Task PresencePingGetsPong()
    {
        var bmc = new InProcessBmc();
        byte[] ping = [0x06, 0x00, 0xFF, 0x06, 0x00, 0x00, 0x11, 0xBE, 0x80, 0x2A, 0x00, 0x00];

        var pong = await bmc.ExchangeAsync(ping);

        Assert.NotNull(pong);
        Assert.Equal(0x40, pong[8]);
        Assert.Equal(0x2A, pong[9]);
        Assert.Equal(0x81, pong[20]);
    }

    [Fact]
    public async Task BootOverrideCommandsReachTheMachine()
    {
        var bmc = new InProcessBmc();
        var client = bmc.Client();
        Assert.True(await client.LoginAsync(CipherSuite.Suite17));

        Assert.Equal(CompletionCodes.Ok, (await client.CommandAsync(NetFns.Chassis, 0x08, 0x05, 0xE0, 0x04, 0, 0, 0))?.CompletionCode);

        Assert.Equal(new BootSettings(BootTarget.Pxe, BootOverride.Continuous, BootMode.Uefi), bmc.Backend.Find(bmc.Machine.Id)!.Boot);
        var flags = await client.CommandAsync(NetFns.Chassis, 0x09, 0x05, 0, 0);
        Assert.Equal([0x01, 0x05, 0xE0, 0x04, 0, 0, 0], flags?.Data);
    }

    private static byte[] OpenSessionRequest(int consoleId) => RmcpCodec.WritePlus((byte)PayloadType.OpenSessionRequest, 0, 0,
        [0x01, 0x04, 0, 0, (byte)consoleId, (byte)(consoleId >> 8), 0, 0x10, 0, 0, 0, 8, 3, 0, 0, 0, 1, 0, 0, 8, 4, 0, 0, 0, 2, 0, 0, 8, 1, 0, 0, 0], null);

    private static CipherSuite Suite(int id) => CipherSuite.Supported.Single(s => s.Id == id);
}
