namespace VMetal.Bmc.Ipmi;

/// <summary>
/// A Serial-over-LAN payload (IPMI v2.0 section 15.9, table 15-2): packet sequence number (1 to 15; 0 = the packet
/// only acknowledges), the sequence number it acknowledges (0 = none), how many characters of that packet were accepted,
/// operation (console → BMC) or status (BMC → console) bits, then the characters.
/// </summary>
internal readonly record struct SolPacket(byte Sequence, byte AckSequence, byte AcceptedCount, byte Flags, ReadOnlyMemory<byte> Data)
{
    public const int HeaderLength = 4;

    /// <summary>Both directions: the acknowledged packet was not accepted (retry later).</summary>
    public const byte Nack = 0x40;

    /// <summary>BMC → console: the serial port cannot take characters now (the machine is off).</summary>
    public const byte CharacterTransferUnavailable = 0x20;

    /// <summary>BMC → console: the BMC is ending the SOL session.</summary>
    public const byte Deactivating = 0x10;

    /// <summary>Null when shorter than the header; the sequence fields keep their low four bits only, as the spec defines them.</summary>
    public static SolPacket? TryParse(ReadOnlyMemory<byte> payload)
    {
        if (payload.Length < HeaderLength)
        {
            return null;
        }

        var span = payload.Span;
        return new SolPacket((byte)(span[0] & 0x0F), (byte)(span[1] & 0x0F), span[2], span[3], payload[HeaderLength..]);
    }

    public byte[] Encode() => [Sequence, AckSequence, AcceptedCount, Flags, .. Data.Span];
}
