using VMetal.Bmc.Ipmi;
using VMetal.Bmc.Machines;
using VMetal.Testing;
using VMetal.Testing.Bmc;

namespace VMetal.Bmc.Tests.Ipmi;

/// <summary>
/// Thousands of truncated, bit-flipped, re-sized and random datagrams derived from a real session: the BMC
/// never throws, never acts on them, and keeps answering real clients afterwards.
/// </summary>
public sealed class IpmiFuzzTests
{
    private const int Seed = 20261123;

    [Fact]
    public async Task MutatedDatagramsAreHarmlessInProcess()
    {
        var bmc = new InProcessBmc();
        var corpus = await RecordSessionAsync(bmc.Client());
        var typed = await RecordedTypingAsync(bmc);
        var random = new Random(Seed);
        var answered = 0;

        for (var i = 0; i < 5000; i++)
        {
            var datagram = Mutate(corpus[random.Next(corpus.Count)], corpus, random);
            answered += await bmc.ExchangeAsync(datagram) is null ? 0 : 1; // must not throw
        }

        // Some mutants still parse (an extended ping, a re-sized discovery request…), most do not: both paths ran.
        Assert.InRange(answered, 50, 4000);

        Assert.Equal([PowerAction.On], bmc.Backend.ActionLog.Select(a => a.Action));
        Assert.Equal(typed, bmc.Backend.ConsoleInput(bmc.Machine.Id)); // no mutant typed anything into the console
        Assert.True(bmc.Sessions.Count <= IpmiSessionLimits.Default.MaximumPending + IpmiSessionLimits.Default.MaximumActive);
        Assert.True(await bmc.Client().LoginAsync(CipherSuite.Suite17));
    }

    [Fact]
    public async Task RandomCommandsInsideASessionAreEachAnsweredWithACompletionCode()
    {
        var bmc = new InProcessBmc();
        var client = bmc.Client();
        Assert.True(await client.LoginAsync(CipherSuite.Suite17));
        var random = new Random(Seed);
        var codes = new HashSet<byte>();

        for (var i = 0; i < 3000; i++)
        {
            // Every request netfn (even numbers up to OEM/group), any command, 0-24 random data bytes; Close Session is left out.
            var netFn = (byte)(random.Next(0, 0x17) * 2);
            var command = (byte)random.Next(256);
            if (netFn == NetFns.App && command == 0x3C)
            {
                continue;
            }

            var data = new byte[random.Next(25)];
            random.NextBytes(data);
            var answer = await client.CommandAsync(netFn, command, data);
            Assert.True(answer is not null, $"no answer to netfn {netFn:x2} command {command:x2} data {Convert.ToHexString(data)}");
            codes.Add(answer.Value.CompletionCode);
        }

        Assert.Contains(CompletionCodes.InvalidCommand, codes);
        Assert.Contains(CompletionCodes.RequestDataLengthInvalid, codes);
        Assert.Equal(CompletionCodes.Ok, (await client.CommandAsync(NetFns.Chassis, 0x01))?.CompletionCode);
    }

    [Fact]
    public async Task MutatedDatagramsOverUdpLeaveTheEndpointAnswering()
    {
        Assert.SkipUnless(Ipmitool.IsInstalled, "ipmitool is not installed (apt-get install ipmitool)");
        await using var bmc = await IpmiTestBmc.StartAsync();
        var client = TestIpmiClient.OverUdp(bmc.EndPoint, IpmiTestBmc.UserName, IpmiTestBmc.Password);
        var corpus = await RecordSessionAsync(client);
        var random = new Random(Seed + 1);
        using var socket = new System.Net.Sockets.UdpClient(System.Net.Sockets.AddressFamily.InterNetwork);

        for (var i = 0; i < 3000; i++)
        {
            await socket.SendAsync(Mutate(corpus[random.Next(corpus.Count)], corpus, random), bmc.EndPoint, TestContext.Current.CancellationToken);
        }

        var status = await bmc.Ipmitool(17).RunAsync("power status");
        Ipmitool.AssertSays(status, "Chassis Power is on");
        Assert.Equal([PowerAction.On], bmc.Backend.ActionLog.Select(a => a.Action));
    }

    /// <summary>Every kind of datagram a session uses, as sent: ping, discovery, handshake, commands, close.</summary>
    /// <summary>
    /// What the recorded session typed: its "x" once that has reached the console (the BMC acknowledges characters as it
    /// queues them, and types them on its own task), or nothing when the BMC refused it (no console attached yet).
    /// </summary>
    private static async Task<string> RecordedTypingAsync(InProcessBmc bmc)
    {
        for (var clock = System.Diagnostics.Stopwatch.StartNew(); clock.Elapsed < TimeSpan.FromSeconds(2); await Task.Delay(10))
        {
            if (bmc.Backend.ConsoleInput(bmc.Machine.Id) == "x")
            {
                return "x";
            }
        }

        return bmc.Backend.ConsoleInput(bmc.Machine.Id);
    }

    private static async Task<List<byte[]>> RecordSessionAsync(TestIpmiClient client)
    {
        await client.SendAsync([0x06, 0x00, 0xFF, 0x06, 0x00, 0x00, 0x11, 0xBE, 0x80, 0x01, 0x00, 0x00]);
        await client.SendAsync(RmcpCodec.WriteIpmi15Sessionless(TestIpmiClient.Request(NetFns.App, 0x38, [0x8E, 0x04])));
        await client.SendAsync(RmcpCodec.WritePlus((byte)PayloadType.Ipmi, 0, 0, TestIpmiClient.Request(NetFns.App, 0x54, [0x0E, 0x00, 0x80]), null));
        Assert.True(await client.LoginAsync(CipherSuite.Suite17));
        Assert.NotNull(await client.CommandAsync(NetFns.Chassis, 0x01));
        Assert.NotNull(await client.CommandAsync(NetFns.Chassis, 0x02, 0x01));
        Assert.NotNull(await client.CommandAsync(NetFns.Chassis, 0x08, 0x05, 0x80, 0x04, 0, 0, 0));
        Assert.NotNull(await client.CommandAsync(NetFns.Chassis, 0x09, 0x05, 0, 0));
        Assert.NotNull(await client.CommandAsync(NetFns.App, 0x01));
        Assert.NotNull(await client.CommandAsync(NetFns.App, SolService.ActivatePayload, 1, 1, 0xC6, 0, 0, 0));
        Assert.NotNull(await client.CommandAsync(NetFns.Transport, SolConfiguration.GetParameters, 1, 1, 0, 0));
        await client.SolAsync(new SolPacket(1, 0, 0, 0, "x"u8.ToArray())); // typed (or refused until the console is attached)
        await client.SolAsync(new SolPacket(0, 1, 1, 0, default)); // acknowledges the BMC's first packet
        return client.Sent;
    }

    private static byte[] Mutate(byte[] original, List<byte[]> corpus, Random random)
    {
        var datagram = original.ToArray();
        switch (random.Next(6))
        {
            case 0:
                return datagram[..random.Next(datagram.Length)];
            case 1:
                for (var flips = random.Next(1, 8); flips > 0; flips--)
                {
                    datagram[random.Next(datagram.Length)] ^= (byte)random.Next(1, 256);
                }

                return datagram;
            case 2:
                // Length fields: the RMCP+ payload length, or the IPMI 1.5 one.
                var at = datagram.Length > 15 && random.Next(2) == 0 ? 14 : Math.Min(13, datagram.Length - 1);
                datagram[at] = (byte)random.Next(256);
                if (at == 14)
                {
                    datagram[15] = (byte)random.Next(256);
                }

                return datagram;
            case 3:
                return [.. datagram, .. RandomBytes(random, random.Next(1, 64))];
            case 4:
                var other = corpus[random.Next(corpus.Count)];
                var cut = random.Next(Math.Min(datagram.Length, other.Length));
                return [.. datagram[..cut], .. other[cut..]];
            default:
                var garbage = RandomBytes(random, random.Next(0, 300));
                if (garbage.Length > 5 && random.Next(2) == 0)
                {
                    garbage[0] = 0x06;
                    garbage[3] = 0x07; // looks like RMCP/IPMI, so it goes past the first check
                    garbage[4] = random.Next(2) == 0 ? (byte)0x06 : (byte)0x00;
                }

                return garbage;
        }
    }

    private static byte[] RandomBytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }
}
