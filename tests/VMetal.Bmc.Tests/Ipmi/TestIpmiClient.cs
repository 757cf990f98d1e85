using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using VMetal.Bmc.Ipmi;

namespace VMetal.Bmc.Tests.Ipmi;

/// <summary>
/// A minimal RMCP+ console written from the client's side of the spec, for tests that need to craft, repeat
/// or mutate datagrams (the real ipmitool tests cover interoperability). Records every datagram it sends.
/// </summary>
internal sealed class TestIpmiClient(Func<byte[], Task<byte[]?>> exchange, string userName, string password)
{
    private const byte AdministratorByName = 0x14; // administrator, name-only lookup

    private readonly byte[] _user = Encoding.UTF8.GetBytes(userName);
    private readonly byte[] _password = Encoding.UTF8.GetBytes(password);
    private readonly uint _consoleId = BinaryPrimitives.ReadUInt32LittleEndian(RandomNumberGenerator.GetBytes(4)) | 1;
    private uint _managedId;
    private SessionCrypto? _crypto;
    private uint _sequence;
    private byte _requestSequence;

    public List<byte[]> Sent { get; } = [];

    /// <summary>A client talking to a UDP endpoint, with a 1 s answer timeout.</summary>
    public static TestIpmiClient OverUdp(IPEndPoint bmc, string userName, string password)
    {
        var socket = new UdpClient(AddressFamily.InterNetwork);
        socket.Connect(bmc);
        return new TestIpmiClient(
            async datagram =>
            {
                await socket.SendAsync(datagram);
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(1));
                try
                {
                    return (await socket.ReceiveAsync(timeout.Token)).Buffer;
                }
                catch (OperationCanceledException)
                {
                    return null;
                }
            },
            userName,
            password);
    }

    /// <summary>Open Session, RAKP 1-4; false when the BMC refuses or the proof of the password does not match.</summary>
    public async Task<bool> LoginAsync(CipherSuite suite)
    {
        byte[] open = [0x01, 0x04, 0, 0, .. Id(_consoleId), 0, 0, 0, 8, suite.AuthenticationAlgorithm, 0, 0, 0,
            1, 0, 0, 8, suite.IntegrityAlgorithm, 0, 0, 0, 2, 0, 0, 8, CipherSuite.AesCbc128, 0, 0, 0];
        var opened = await PlainAsync(PayloadType.OpenSessionRequest, open);
        if (opened is null || opened[1] != 0)
        {
            return false;
        }

        _managedId = BinaryPrimitives.ReadUInt32LittleEndian(opened.AsSpan(8));
        var consoleRandom = RandomNumberGenerator.GetBytes(16);
        byte[] nameField = [AdministratorByName, (byte)_user.Length, .. _user];
        var rakp2 = await PlainAsync(PayloadType.Rakp1, [0x02, 0, 0, 0, .. Id(_managedId), .. consoleRandom, AdministratorByName, 0, 0, (byte)_user.Length, .. _user]);
        if (rakp2 is null || rakp2[1] != 0)
        {
            return false;
        }

        var bmcRandom = rakp2[8..24];
        var guid = rakp2[24..40];
        var expected = suite.Hmac(_password, [.. Id(_consoleId), .. Id(_managedId), .. consoleRandom, .. bmcRandom, .. guid, .. nameField]);
        if (!rakp2.AsSpan(40).SequenceEqual(expected))
        {
            return false;
        }

        var rakp4 = await PlainAsync(PayloadType.Rakp3, [0x03, 0, 0, 0, .. Id(_managedId), .. suite.Hmac(_password, [.. bmcRandom, .. Id(_consoleId), .. nameField])]);
        if (rakp4 is null || rakp4[1] != 0)
        {
            return false;
        }

        var sik = suite.Hmac(_password, [.. consoleRandom, .. bmcRandom, .. nameField]);
        var integrityCheck = suite.Hmac(sik, [.. consoleRandom, .. Id(_managedId), .. guid]).AsSpan(0, suite.IntegrityCodeLength);
        if (!rakp4.AsSpan(8).SequenceEqual(integrityCheck))
        {
            return false;
        }

        _crypto = new SessionCrypto(suite, sik);
        return (await CommandAsync(NetFns.App, 0x3B, 0x04))?.CompletionCode == 0;
    }

    /// <summary>One IPMI request in the session; null when no (valid) answer came.</summary>
    public async Task<(byte CompletionCode, byte[] Data)?> CommandAsync(byte netFn, byte command, params byte[] data)
    {
        var crypto = _crypto ?? throw new InvalidOperationException("not logged in");
        _requestSequence = (byte)((_requestSequence + 1) & 0x3F);
        var packet = RmcpCodec.WritePlus((byte)PayloadType.Ipmi, _managedId, ++_sequence, Request(netFn, command, data), crypto);
        var answer = await SendAsync(packet);
        if (answer is null || RmcpCodec.ReadPlusHeader(answer) is not { } header || !RmcpCodec.TryOpen(answer, header, crypto, out var message)
            || message.Length < 8 || message[5] != command)
        {
            return null;
        }

        return (message[6], message[7..^1]);
    }

    /// <summary>Our session id at the BMC (SIDc), once logged in.</summary>
    public uint ManagedId => _managedId;

    /// <summary>A Serial-over-LAN packet in the session; the BMC's direct answer (its acknowledgement), if any.</summary>
    public async Task<SolPacket?> SolAsync(SolPacket packet)
    {
        var crypto = _crypto ?? throw new InvalidOperationException("not logged in");
        var answer = await SendAsync(RmcpCodec.WritePlus((byte)PayloadType.Sol, _managedId, ++_sequence, packet.Encode(), crypto));
        return answer is null ? null : ReadSol(answer);
    }

    /// <summary>A SOL packet the BMC sent to this client (checked and decrypted with the session's keys), or null.</summary>
    public SolPacket? ReadSol(byte[] datagram) =>
        _crypto is { } crypto && RmcpCodec.ReadPlusHeader(datagram) is { PayloadType: PayloadType.Sol } header
        && RmcpCodec.TryOpen(datagram, header, crypto, out var payload)
            ? SolPacket.TryParse(payload)
            : null;

    /// <summary>Sends raw bytes (recorded like any other datagram).</summary>
    public Task<byte[]?> SendAsync(byte[] datagram)
    {
        Sent.Add(datagram);
        return exchange(datagram);
    }

    public static byte[] Request(byte netFn, byte command, byte[] data, byte sequence = 1)
    {
        byte[] message = [0x20, (byte)(netFn << 2), 0, 0x81, (byte)(sequence << 2), command, .. data, 0];
        message[2] = (byte)-(message[0] + message[1]);
        message[^1] = (byte)-message.AsSpan(3, message.Length - 4).ToArray().Sum(b => b);
        return message;
    }

    private async Task<byte[]?> PlainAsync(PayloadType type, byte[] payload)
    {
        var answer = await SendAsync(RmcpCodec.WritePlus((byte)type, 0, 0, payload, null));
        return answer is not null && RmcpCodec.ReadPlusHeader(answer) is { } header && header.PayloadType == type + 1
            ? RmcpCodec.PlainPayload(answer, header).ToArray()
            : null;
    }

    private static byte[] Id(uint id)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, id);
        return bytes;
    }
}
