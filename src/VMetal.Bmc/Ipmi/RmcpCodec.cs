using System.Buffers.Binary;

namespace VMetal.Bmc.Ipmi;

/// <summary>
/// RMCP framing (IPMI v2.0 section 13): ASF presence ping, IPMI v1.5 session wrapper (only the
/// unauthenticated form used before a session exists) and the IPMI v2.0 / RMCP+ session wrapper.
/// Every reader checks lengths first and answers false for anything that does not fit.
/// </summary>
internal static class RmcpCodec
{
    public const byte FormatIpmi15None = 0x00;
    public const byte FormatRmcpPlus = 0x06;

    private const byte RmcpVersion = 0x06;
    private const byte NoAcknowledge = 0xFF;
    private const byte ClassAsf = 0x06;
    private const byte ClassIpmi = 0x07;
    private const uint AsfIana = 4542;
    private const byte AsfPresencePing = 0x80;
    private const byte AsfPresencePong = 0x40;
    private const byte NextHeaderRmcp = 0x07;
    private const int RmcpHeaderLength = 4;
    private const int PlusHeaderLength = 16;
    private const int Ipmi15HeaderLength = 14;

    /// <summary>The RMCP class and IPMI session format byte, or null for anything that is not RMCP.</summary>
    public static (bool IsAsf, byte Format)? Classify(ReadOnlySpan<byte> datagram)
    {
        if (datagram.Length < RmcpHeaderLength + 1 || datagram[0] != RmcpVersion)
        {
            return null;
        }

        return datagram[3] switch
        {
            ClassAsf => (true, 0),
            ClassIpmi => (false, datagram[4]),
            _ => null,
        };
    }

    /// <summary>The ASF presence pong (ASF 2.0 section 3.2.4.3) answering a ping, or null.</summary>
    public static byte[]? AnswerPresencePing(ReadOnlySpan<byte> datagram)
    {
        if (datagram.Length < 12 || BinaryPrimitives.ReadUInt32BigEndian(datagram[4..]) != AsfIana || datagram[8] != AsfPresencePing)
        {
            return null;
        }

        var pong = new byte[28];
        pong[0] = RmcpVersion;
        pong[2] = NoAcknowledge;
        pong[3] = ClassAsf;
        BinaryPrimitives.WriteUInt32BigEndian(pong.AsSpan(4), AsfIana);
        pong[8] = AsfPresencePong;
        pong[9] = datagram[9];
        pong[11] = 16;
        BinaryPrimitives.WriteUInt32BigEndian(pong.AsSpan(12), AsfIana);
        pong[20] = 0x81; // IPMI supported, ASF version 1.0
        return pong;
    }

    /// <summary>The payload of an unauthenticated IPMI v1.5 packet outside a session, or null.</summary>
    public static byte[]? ReadIpmi15Sessionless(ReadOnlySpan<byte> datagram)
    {
        if (datagram.Length < Ipmi15HeaderLength || datagram[4] != FormatIpmi15None || BinaryPrimitives.ReadUInt32LittleEndian(datagram[9..]) != 0)
        {
            return null;
        }

        var length = datagram[13];
        return datagram.Length < Ipmi15HeaderLength + length ? null : datagram.Slice(Ipmi15HeaderLength, length).ToArray();
    }

    public static byte[] WriteIpmi15Sessionless(ReadOnlySpan<byte> payload)
    {
        var packet = new byte[Ipmi15HeaderLength + payload.Length];
        WriteRmcpHeader(packet);
        packet[4] = FormatIpmi15None;
        packet[13] = (byte)payload.Length;
        payload.CopyTo(packet.AsSpan(Ipmi15HeaderLength));
        return packet;
    }

    /// <summary>Reads the RMCP+ session header; the payload and trailer are left to <see cref="TryOpen"/>.</summary>
    public static RmcpPlusHeader? ReadPlusHeader(ReadOnlySpan<byte> datagram)
    {
        if (datagram.Length < PlusHeaderLength || datagram[4] != FormatRmcpPlus)
        {
            return null;
        }

        var header = new RmcpPlusHeader(
            datagram[5],
            BinaryPrimitives.ReadUInt32LittleEndian(datagram[6..]),
            BinaryPrimitives.ReadUInt32LittleEndian(datagram[10..]),
            BinaryPrimitives.ReadUInt16LittleEndian(datagram[14..]));
        return PlusHeaderLength + header.PayloadLength > datagram.Length ? null : header;
    }

    /// <summary>The payload of a packet that carries no integrity trailer (before a session is active).</summary>
    public static ReadOnlySpan<byte> PlainPayload(ReadOnlySpan<byte> datagram, RmcpPlusHeader header) =>
        datagram.Slice(PlusHeaderLength, header.PayloadLength);

    /// <summary>
    /// Checks the integrity trailer of a session packet and decrypts its payload. False (the packet is to be
    /// dropped) when it is not both authenticated and encrypted, or when any length, pad or code is wrong.
    /// </summary>
    public static bool TryOpen(ReadOnlySpan<byte> datagram, RmcpPlusHeader header, SessionCrypto crypto, out byte[] payload)
    {
        payload = [];
        if (!header.IsAuthenticated || !header.IsEncrypted)
        {
            return false;
        }

        var payloadEnd = PlusHeaderLength + header.PayloadLength;
        var trailer = datagram.Length - payloadEnd;
        var padLength = trailer - 2 - crypto.Suite.IntegrityCodeLength;
        if (padLength is < 0 or > 3)
        {
            return false;
        }

        var signedEnd = datagram.Length - crypto.Suite.IntegrityCodeLength;
        if (datagram[signedEnd - 1] != NextHeaderRmcp || datagram[signedEnd - 2] != padLength || (signedEnd - RmcpHeaderLength) % 4 != 0
            || !crypto.Verify(datagram[RmcpHeaderLength..signedEnd], datagram[signedEnd..]))
        {
            return false;
        }

        var decrypted = crypto.Decrypt(datagram[PlusHeaderLength..payloadEnd]);
        if (decrypted is null)
        {
            return false;
        }

        payload = decrypted;
        return true;
    }

    /// <summary>Builds an RMCP+ packet; with <paramref name="crypto"/> the payload is encrypted and signed.</summary>
    public static byte[] WritePlus(byte payloadType, uint sessionId, uint sequence, ReadOnlySpan<byte> payload, SessionCrypto? crypto)
    {
        var body = crypto is null ? payload.ToArray() : crypto.Encrypt(payload);
        var unsignedLength = PlusHeaderLength + body.Length;
        var padLength = crypto is null ? 0 : (4 - ((unsignedLength - RmcpHeaderLength + 2) % 4)) % 4;
        var signedLength = crypto is null ? unsignedLength : unsignedLength + padLength + 2;
        var packet = new byte[signedLength + (crypto?.Suite.IntegrityCodeLength ?? 0)];

        WriteRmcpHeader(packet);
        packet[4] = FormatRmcpPlus;
        packet[5] = crypto is null ? payloadType : (byte)(payloadType | RmcpPlusHeader.EncryptedBit | RmcpPlusHeader.AuthenticatedBit);
        BinaryPrimitives.WriteUInt32LittleEndian(packet.AsSpan(6), sessionId);
        BinaryPrimitives.WriteUInt32LittleEndian(packet.AsSpan(10), sequence);
        BinaryPrimitives.WriteUInt16LittleEndian(packet.AsSpan(14), (ushort)body.Length);
        body.CopyTo(packet, PlusHeaderLength);

        if (crypto is not null)
        {
            packet.AsSpan(unsignedLength, padLength).Fill(0xFF);
            packet[signedLength - 2] = (byte)padLength;
            packet[signedLength - 1] = NextHeaderRmcp;
            crypto.Sign(packet.AsSpan(RmcpHeaderLength, signedLength - RmcpHeaderLength), packet.AsSpan(signedLength));
        }

        return packet;
    }

    private static void WriteRmcpHeader(Span<byte> packet)
    {
        packet[0] = RmcpVersion;
        packet[1] = 0;
        packet[2] = NoAcknowledge;
        packet[3] = ClassIpmi;
    }
}

/// <param name="PayloadTypeByte">Payload type with the encrypted (bit 7) and authenticated (bit 6) flags.</param>
internal readonly record struct RmcpPlusHeader(byte PayloadTypeByte, uint SessionId, uint Sequence, ushort PayloadLength)
{
    public const byte EncryptedBit = 0x80;
    public const byte AuthenticatedBit = 0x40;

    public PayloadType PayloadType => (PayloadType)(PayloadTypeByte & 0x3F);

    public bool IsEncrypted => (PayloadTypeByte & EncryptedBit) != 0;

    public bool IsAuthenticated => (PayloadTypeByte & AuthenticatedBit) != 0;
}

/// <summary>RMCP+ payload types (table 13-16) this BMC speaks.</summary>
internal enum PayloadType : byte
{
    Ipmi = 0x00,
    /// <summary>Serial-over-LAN (section 15): console characters both ways, once activated in a session.</summary>
    Sol = 0x01,
    OpenSessionRequest = 0x10,
    OpenSessionResponse = 0x11,
    Rakp1 = 0x12,
    Rakp2 = 0x13,
    Rakp3 = 0x14,
    Rakp4 = 0x15,
}
