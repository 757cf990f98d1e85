namespace VMetal.Bmc.Ipmi;

/// <summary>
/// An IPMI request message as carried in a LAN payload (IPMI v2.0 section 13.8):
/// rsAddr, netFn/rsLUN, checksum, rqAddr, rqSeq/rqLUN, command, data, checksum.
/// </summary>
internal sealed class IpmiRequest
{
    private const int MinimumLength = 7;

    private IpmiRequest(byte responderAddress, byte netFn, byte responderLun, byte requesterAddress, byte sequence, byte requesterLun, byte command, byte[] data)
    {
        ResponderAddress = responderAddress;
        NetFn = netFn;
        ResponderLun = responderLun;
        RequesterAddress = requesterAddress;
        Sequence = sequence;
        RequesterLun = requesterLun;
        Command = command;
        Data = data;
    }

    public byte ResponderAddress { get; }

    public byte NetFn { get; }

    public byte ResponderLun { get; }

    public byte RequesterAddress { get; }

    public byte Sequence { get; }

    public byte RequesterLun { get; }

    public byte Command { get; }

    public byte[] Data { get; }

    /// <summary>Parses a request; null when it is too short, a response, or either checksum is wrong.</summary>
    public static IpmiRequest? TryParse(ReadOnlySpan<byte> message)
    {
        if (message.Length < MinimumLength || Checksum(message[..2]) != message[2] || Checksum(message[3..^1]) != message[^1])
        {
            return null;
        }

        var netFn = (byte)(message[1] >> 2);
        if ((netFn & 1) != 0)
        {
            return null;
        }

        return new IpmiRequest(message[0], netFn, (byte)(message[1] & 3), message[3], (byte)(message[4] >> 2), (byte)(message[4] & 3), message[5], message[6..^1].ToArray());
    }

    /// <summary>Encodes the response message to this request.</summary>
    public byte[] Respond(IpmiResponse response)
    {
        var message = new byte[8 + response.Data.Length];
        message[0] = RequesterAddress;
        message[1] = (byte)(((NetFn | 1) << 2) | RequesterLun);
        message[2] = Checksum(message.AsSpan(0, 2));
        message[3] = ResponderAddress;
        message[4] = (byte)((Sequence << 2) | ResponderLun);
        message[5] = Command;
        message[6] = response.CompletionCode;
        response.Data.CopyTo(message, 7);
        message[^1] = Checksum(message.AsSpan(3, message.Length - 4));
        return message;
    }

    /// <summary>Two's complement of the byte sum, so that data plus checksum add up to zero.</summary>
    private static byte Checksum(ReadOnlySpan<byte> data)
    {
        var sum = 0;
        foreach (var b in data)
        {
            sum += b;
        }

        return (byte)-sum;
    }
}

/// <summary>A completion code (IPMI v2.0 table 5-2) and response data.</summary>
internal readonly record struct IpmiResponse(byte CompletionCode, byte[] Data)
{
    public static IpmiResponse Ok(params byte[] data) => new(CompletionCodes.Ok, data);

    public static IpmiResponse Error(byte completionCode) => new(completionCode, []);
}

internal static class CompletionCodes
{
    public const byte Ok = 0x00;
    /// <summary>Generic "command-specific" code; for Set/Get Boot Options it means "parameter not supported".</summary>
    public const byte ParameterNotSupported = 0x80;
    public const byte InvalidSessionId = 0x87;
    public const byte NodeBusy = 0xC0;
    public const byte InvalidCommand = 0xC1;
    public const byte RequestDataLengthInvalid = 0xC7;
    public const byte ParameterOutOfRange = 0xC9;
    public const byte NotPresent = 0xCB;
    public const byte InvalidDataField = 0xCC;
    public const byte InsufficientPrivilege = 0xD4;
    public const byte NotSupportedInPresentState = 0xD5;
    public const byte Unspecified = 0xFF;
}

internal static class NetFns
{
    public const byte Chassis = 0x00;
    public const byte App = 0x06;
    public const byte Storage = 0x0A;
    public const byte Transport = 0x0C;
}

/// <summary>IPMI privilege levels (table 22-17); a session may only run commands up to its level.</summary>
internal enum Privilege : byte
{
    Callback = 1,
    User = 2,
    Operator = 3,
    Administrator = 4,
}
