using System.Buffers.Binary;
using System.Text;
using VMetal.Bmc.Ipmi;
using VMetal.Bmc.Machines;

namespace VMetal.Bmc.Tests.Ipmi;

/// <summary>Serial-over-LAN packet by packet, in process, with the test clock driving retransmission.</summary>
public sealed class SolProtocolTests
{
    private static readonly byte[] ActivateSol = [1, 1, 0xC6, 0, 0, 0]; // as ipmitool sends it: encrypted, authenticated
    private static readonly byte[] DeactivateSol = [1, 1, 0, 0, 0, 0];
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(5);

    private readonly InProcessBmc _bmc = new();

    private async Task<TestIpmiClient> ActivatedAsync(bool powerOn = true)
    {
        if (powerOn)
        {
            await _bmc.Backend.PowerAsync(_bmc.Machine.Id, PowerAction.On, CancellationToken.None);
        }

        var client = _bmc.Client();
        Assert.True(await client.LoginAsync(CipherSuite.Suite17));
        var activated = await client.CommandAsync(NetFns.App, SolService.ActivatePayload, ActivateSol);
        Assert.Equal(CompletionCodes.Ok, activated?.CompletionCode);
        if (powerOn)
        {
            await WaitUntilAsync(() => _bmc.Backend.OpenConsoles(_bmc.Machine.Id) == 1);
        }

        return client;
    }

    private async Task<SolPacket> NextOutputAsync(TestIpmiClient client)
    {
        var datagram = await _bmc.Unsolicited.Reader.ReadAsync(TestContext.Current.CancellationToken).AsTask().WaitAsync(Wait);
        return client.ReadSol(datagram) ?? throw new InvalidOperationException("not a SOL packet of this session");
    }

    private void Print(string text) => _bmc.Backend.PrintToConsole(_bmc.Machine.Id, text);

    private static string Text(SolPacket packet) => Encoding.ASCII.GetString(packet.Data.Span);

    private static string Describe(SolPacket? packet) => packet is { } p
        ? $"seq {p.Sequence} ack {p.AckSequence} accepted {p.AcceptedCount} flags {p.Flags:x2}{(p.Data.IsEmpty ? "" : " data " + Text(p))}"
        : "no answer";

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + Wait;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met in time");
            await Task.Delay(10);
        }
    }

    [Fact]
    public async Task ActivationAnswersThePayloadSizesAndTheBmcsPortAndAttachesTheConsole()
    {
        await _bmc.Backend.PowerAsync(_bmc.Machine.Id, PowerAction.On, CancellationToken.None);
        var client = _bmc.Client();
        Assert.True(await client.LoginAsync(CipherSuite.Suite3));

        var activated = await client.CommandAsync(NetFns.App, SolService.ActivatePayload, ActivateSol);

        Assert.Equal(CompletionCodes.Ok, activated?.CompletionCode);
        Assert.Equal([0, 0, 0, 0, 255, 0, 255, 0, 623 & 0xFF, 623 >> 8, 0xFF, 0xFF], activated?.Data);
        await WaitUntilAsync(() => _bmc.Backend.OpenConsoles(_bmc.Machine.Id) == 1);
        Assert.Equal([1, 1, 0], (await client.CommandAsync(NetFns.App, SolService.GetPayloadActivationStatus, 1))?.Data);
        var info = (await client.CommandAsync(NetFns.App, SolService.GetPayloadInstanceInfo, 1, 1))?.Data;
        Assert.Equal(client.ManagedId, BinaryPrimitives.ReadUInt32LittleEndian(info));
    }

    [Fact]
    public async Task OutputGoesOutOnePacketAtATimeAndTheNextWaitsForTheAcknowledgement()
    {
        var client = await ActivatedAsync();

        Print("abc");
        var first = await NextOutputAsync(client);
        Assert.Equal((1, 0, "abc"), (first.Sequence, first.AckSequence, Text(first)));

        Print("def");
        await Task.Delay(100);
        Assert.False(_bmc.Unsolicited.Reader.TryPeek(out _)); // "abc" is not acknowledged yet

        Assert.Null(await client.SolAsync(new SolPacket(0, 1, 3, 0, default))); // a bare acknowledgement is not answered
        var second = await NextOutputAsync(client);
        Assert.Equal((2, "def"), (second.Sequence, Text(second)));
    }

    [Fact]
    public async Task APartialAcknowledgementSendsTheRestInTheNextPacket()
    {
        var client = await ActivatedAsync();
        Print("hello");
        var first = await NextOutputAsync(client);

        await client.SolAsync(new SolPacket(0, first.Sequence, 2, 0, default));

        var rest = await NextOutputAsync(client);
        Assert.Equal((2, "llo"), (rest.Sequence, Text(rest)));
    }

    [Fact]
    public async Task UnacknowledgedOutputIsSentAgainWithTheSameSequenceThenDroppedAfterTheRetries()
    {
        var client = await ActivatedAsync();
        Print("lost?");
        var original = await NextOutputAsync(client);
        Print("next");

        for (var retry = 0; retry < SolService.RetryCount; retry++)
        {
            _bmc.Clock.Advance(SolService.RetryInterval);
            var again = await NextOutputAsync(client);
            Assert.Equal((original.Sequence, "lost?"), (again.Sequence, Text(again)));
        }

        _bmc.Clock.Advance(SolService.RetryInterval);
        var after = await NextOutputAsync(client);
        Assert.Equal((2, "next"), (after.Sequence, Text(after)));
    }

    [Fact]
    public async Task ANackKeepsThePacketForTheRetryTimer()
    {
        var client = await ActivatedAsync();
        Print("busy");
        var original = await NextOutputAsync(client);

        await client.SolAsync(new SolPacket(0, original.Sequence, 0, SolPacket.Nack, default));
        _bmc.Clock.Advance(SolService.RetryInterval);

        var again = await NextOutputAsync(client);
        Assert.Equal((original.Sequence, "busy"), (again.Sequence, Text(again)));
    }

    [Fact]
    public async Task TypedCharactersAreAcknowledgedAndTypedOnceEvenWhenTheConsoleRepeatsThePacket()
    {
        var client = await ActivatedAsync();
        var typed = new SolPacket(1, 0, 0, 0, "ls\r"u8.ToArray());

        var ack = await client.SolAsync(typed);
        var repeatedAck = await client.SolAsync(typed); // our acknowledgement was "lost"

        Assert.Equal("seq 0 ack 1 accepted 3 flags 00", Describe(ack));
        Assert.Equal("seq 0 ack 1 accepted 3 flags 00", Describe(repeatedAck));
        await WaitUntilAsync(() => _bmc.Backend.ConsoleInput(_bmc.Machine.Id) == "ls\r");
        var echo = await NextOutputAsync(client); // the simulated console echoes
        Assert.Equal("ls\r", Text(echo));
        await Task.Delay(100);
        Assert.Equal("ls\r", _bmc.Backend.ConsoleInput(_bmc.Machine.Id));
    }

    [Fact]
    public async Task CharactersTypedWhileTheMachineIsOffAreRefusedAndOutputFlowsOnceItStarts()
    {
        var client = await ActivatedAsync(powerOn: false);

        var refused = await client.SolAsync(new SolPacket(1, 0, 0, 0, "x"u8.ToArray()));

        Assert.Equal("seq 0 ack 1 accepted 0 flags 60", Describe(refused)); // NACK, character transfer unavailable
        Assert.Equal(string.Empty, _bmc.Backend.ConsoleInput(_bmc.Machine.Id));

        await _bmc.Backend.PowerAsync(_bmc.Machine.Id, PowerAction.On, CancellationToken.None);
        await WaitUntilAsync(() => _bmc.Backend.OpenConsoles(_bmc.Machine.Id) == 1);
        Print("SeaBIOS");
        Assert.Equal("SeaBIOS", Text(await NextOutputAsync(client)));

        // Powered off and on again: the console is attached anew (after a pause, if the machine already runs again).
        await client.SolAsync(new SolPacket(0, 1, 7, 0, default));
        await _bmc.Backend.PowerAsync(_bmc.Machine.Id, PowerAction.ForceOff, CancellationToken.None);
        await WaitUntilAsync(() => _bmc.Backend.OpenConsoles(_bmc.Machine.Id) == 0);
        await _bmc.Backend.PowerAsync(_bmc.Machine.Id, PowerAction.On, CancellationToken.None);
        await WaitUntilAsync(() =>
        {
            _bmc.Clock.Advance(TimeSpan.FromMilliseconds(100));
            return _bmc.Backend.OpenConsoles(_bmc.Machine.Id) == 1;
        });
        Print("again");
        Assert.Equal("again", Text(await NextOutputAsync(client)));
    }

    [Fact]
    public async Task ASecondActivationIsRefusedAndAnotherSessionCanDeactivate()
    {
        var owner = await ActivatedAsync();
        var other = _bmc.Client();
        Assert.True(await other.LoginAsync(CipherSuite.Suite3));

        Assert.Equal((byte)0x80, (await other.CommandAsync(NetFns.App, SolService.ActivatePayload, ActivateSol))?.CompletionCode);
        // Other auxiliary bits than before, so that it is not taken for a retry of the first activation (which gets its answer again).
        Assert.Equal((byte)0x80, (await owner.CommandAsync(NetFns.App, SolService.ActivatePayload, 1, 1, 0xC0, 0, 0, 0))?.CompletionCode);

        // Packets of a session that does not own the instance are ignored: not typed, not answered.
        Assert.Null(await other.SolAsync(new SolPacket(1, 0, 0, 0, "rm"u8.ToArray())));
        Assert.Equal(string.Empty, _bmc.Backend.ConsoleInput(_bmc.Machine.Id));

        Assert.Equal(CompletionCodes.Ok, (await other.CommandAsync(NetFns.App, SolService.DeactivatePayload, DeactivateSol))?.CompletionCode);
        var notice = await NextOutputAsync(owner); // the owner is told its SOL ends
        Assert.Equal(SolPacket.Deactivating, notice.Flags);
        await WaitUntilAsync(() => _bmc.Backend.OpenConsoles(_bmc.Machine.Id) == 0);
        Assert.Equal([1, 0, 0], (await other.CommandAsync(NetFns.App, SolService.GetPayloadActivationStatus, 1))?.Data);
        Assert.Equal((byte)0x80, (await other.CommandAsync(NetFns.App, SolService.DeactivatePayload, DeactivateSol))?.CompletionCode);
        Assert.Null(await owner.SolAsync(new SolPacket(2, 0, 0, 0, "late"u8.ToArray())));

        Assert.Equal(CompletionCodes.Ok, (await other.CommandAsync(NetFns.App, SolService.ActivatePayload, ActivateSol))?.CompletionCode);
    }

    [Fact]
    public async Task ClosingTheOwningSessionEndsItsSol()
    {
        var owner = await ActivatedAsync();

        var id = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(id, owner.ManagedId);
        Assert.Equal(CompletionCodes.Ok, (await owner.CommandAsync(NetFns.App, 0x3C, id))?.CompletionCode);

        await WaitUntilAsync(() => _bmc.Backend.OpenConsoles(_bmc.Machine.Id) == 0);
        var other = _bmc.Client();
        Assert.True(await other.LoginAsync(CipherSuite.Suite17));
        Assert.Equal([1, 0, 0], (await other.CommandAsync(NetFns.App, SolService.GetPayloadActivationStatus, 1))?.Data);
    }

    [Fact]
    public async Task AnOwnerThatTimedOutLosesItsSolToTheNextActivation()
    {
        await ActivatedAsync();
        var other = _bmc.Client();
        Assert.True(await other.LoginAsync(CipherSuite.Suite17));

        _bmc.Clock.Advance(TimeSpan.FromSeconds(45));
        Assert.NotNull(await other.CommandAsync(NetFns.App, 0x01)); // the other session stays active
        _bmc.Clock.Advance(TimeSpan.FromSeconds(30)); // the owner has been idle past the 60 s timeout

        Assert.Equal(CompletionCodes.Ok, (await other.CommandAsync(NetFns.App, SolService.ActivatePayload, ActivateSol))?.CompletionCode);
    }

    [Theory]
    [InlineData(new byte[] { 1, 1, 0x00, 0, 0, 0 }, 0x84)] // neither encrypted nor authenticated
    [InlineData(new byte[] { 1, 1, 0x40, 0, 0, 0 }, 0x84)] // not encrypted
    [InlineData(new byte[] { 0, 1, 0xC0, 0, 0, 0 }, CompletionCodes.InvalidDataField)] // the IPMI payload
    [InlineData(new byte[] { 1, 2, 0xC0, 0, 0, 0 }, CompletionCodes.InvalidDataField)] // there is one instance
    [InlineData(new byte[] { 1, 1, 0xC0 }, CompletionCodes.RequestDataLengthInvalid)]
    public async Task ActivationRequestsThisBmcCannotHonourAreRefused(byte[] request, byte completionCode)
    {
        var client = _bmc.Client();
        Assert.True(await client.LoginAsync(CipherSuite.Suite17));

        Assert.Equal(completionCode, (await client.CommandAsync(NetFns.App, SolService.ActivatePayload, request))?.CompletionCode);
        Assert.Equal([1, 0, 0], (await client.CommandAsync(NetFns.App, SolService.GetPayloadActivationStatus, 1))?.Data);
    }

    [Fact]
    public async Task SolConfigurationCanBeReadAndItsSettableParametersChanged()
    {
        var client = _bmc.Client();
        Assert.True(await client.LoginAsync(CipherSuite.Suite17));

        Assert.Equal([0x11, 0xC2], (await client.CommandAsync(NetFns.Transport, SolConfiguration.GetParameters, 1, 2, 0, 0))?.Data);
        Assert.Equal([0x11, 623 & 0xFF, 623 >> 8], (await client.CommandAsync(NetFns.Transport, SolConfiguration.GetParameters, 1, 8, 0, 0))?.Data);
        Assert.Equal((byte)0x82, (await client.CommandAsync(NetFns.Transport, SolConfiguration.SetParameters, 1, 5, 0x06))?.CompletionCode);
        Assert.Equal(CompletionCodes.InvalidDataField, (await client.CommandAsync(NetFns.Transport, SolConfiguration.SetParameters, 1, 2, 0x02))?.CompletionCode);

        Assert.Equal(CompletionCodes.Ok, (await client.CommandAsync(NetFns.Transport, SolConfiguration.SetParameters, 1, 1, 0))?.CompletionCode);
        Assert.Equal((byte)0x81, (await client.CommandAsync(NetFns.App, SolService.ActivatePayload, ActivateSol))?.CompletionCode); // disabled
        Assert.Equal(CompletionCodes.Ok, (await client.CommandAsync(NetFns.Transport, SolConfiguration.SetParameters, 1, 1, 1))?.CompletionCode);
        Assert.Equal(CompletionCodes.Ok, (await client.CommandAsync(NetFns.App, SolService.ActivatePayload, ActivateSol))?.CompletionCode);
    }

    [Fact]
    public async Task MalformedSolPacketsAreIgnored()
    {
        var client = await ActivatedAsync();

        Assert.Null(await client.SolAsync(new SolPacket(0, 0, 0, 0, "data without a sequence number"u8.ToArray())));
        Assert.Null(await client.SendAsync(RmcpCodec.WritePlus((byte)PayloadType.Sol, client.ManagedId, 99, [1, 0, 0, 0, 65], null))); // in clear text
        Assert.Null(await client.SendAsync(RmcpCodec.WritePlus((byte)PayloadType.Sol, 0, 0, [1, 0, 0, 0, 65], null))); // outside a session
        await Task.Delay(50);
        Assert.Equal(string.Empty, _bmc.Backend.ConsoleInput(_bmc.Machine.Id));
        Assert.Equal("seq 0 ack 1 accepted 1 flags 00", Describe(await client.SolAsync(new SolPacket(1, 0, 0, 0, "A"u8.ToArray())))); // still working
    }
}
