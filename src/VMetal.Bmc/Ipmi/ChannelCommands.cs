namespace VMetal.Bmc.Ipmi;

/// <summary>
/// The BMC's one channel, LAN channel 1. Handles the two App commands a client sends before it has a session: Get
/// Channel Authentication Capabilities (section 22.13) and Get Channel Cipher Suites (section 22.15), answered the same
/// inside a session; and describes the channel to Get Channel Info (22.24) and Get Channel Access (22.23).
/// </summary>
internal static class ChannelCommands
{
    public const byte GetChannelAuthenticationCapabilities = 0x38;
    public const byte GetChannelAccess = 0x41;
    public const byte GetChannelCipherSuites = 0x54;
    public const byte LanChannel = 1;

    private const byte CurrentChannel = 0x0E;
    private const int CipherSuiteRecordsPerResponse = 16;

    private static readonly byte[] CipherSuiteRecords = [.. CipherSuite.Supported.SelectMany(suite => new byte[]
    {
        0xC0, // standard cipher suite record
        suite.Id,
        suite.AuthenticationAlgorithm,
        (byte)(0x40 | suite.IntegrityAlgorithm),
        (byte)(0x80 | CipherSuite.AesCbc128),
    })];

    public static bool Handles(IpmiRequest request) =>
        request.NetFn == NetFns.App && request.Command is GetChannelAuthenticationCapabilities or GetChannelCipherSuites;

    public static IpmiResponse Handle(IpmiRequest request) => request.Command switch
    {
        GetChannelAuthenticationCapabilities => AuthenticationCapabilities(request.Data),
        _ => CipherSuites(request.Data),
    };

    private static IpmiResponse AuthenticationCapabilities(byte[] data)
    {
        if (data.Length != 2)
        {
            return IpmiResponse.Error(CompletionCodes.RequestDataLengthInvalid);
        }

        if (!IsOurChannel(data[0] & 0x0F))
        {
            return IpmiResponse.Error(CompletionCodes.InvalidDataField);
        }

        return IpmiResponse.Ok(
            LanChannel,
            0x80, // IPMI v2.0 extended capabilities; no IPMI v1.5 authentication type is offered
            0x04, // non-null user names only; Kg is the default (all zeros)
            0x02, // channel supports IPMI v2.0 connections only
            0,
            0,
            0, // OEM id
            0); // OEM auxiliary data
    }

    private static IpmiResponse CipherSuites(byte[] data)
    {
        if (data.Length != 3)
        {
            return IpmiResponse.Error(CompletionCodes.RequestDataLengthInvalid);
        }

        if (!IsOurChannel(data[0] & 0x0F))
        {
            return IpmiResponse.Error(CompletionCodes.InvalidDataField);
        }

        // Only the IPMI payload (type 0) is offered; for anything else the list is empty.
        var records = data[1] == (byte)PayloadType.Ipmi ? CipherSuiteRecords : [];
        var start = Math.Min((data[2] & 0x3F) * CipherSuiteRecordsPerResponse, records.Length);
        var count = Math.Min(CipherSuiteRecordsPerResponse, records.Length - start);
        return IpmiResponse.Ok([LanChannel, .. records.AsSpan(start, count)]);
    }

    /// <summary>An 802.3 LAN channel (protocol IPMB-1.0, as table 6-2 says for LAN), multi-session, IPMI's IANA number.</summary>
    public static IpmiResponse ChannelInfo(byte[] data, int activeSessions)
    {
        if (data.Length != 1)
        {
            return IpmiResponse.Error(CompletionCodes.RequestDataLengthInvalid);
        }

        return IsOurChannel(data[0] & 0x0F)
            ? IpmiResponse.Ok(
                LanChannel,
                0x04, // medium: 802.3 LAN
                0x01, // protocol: IPMB-1.0
                (byte)(0x80 | (activeSessions & 0x3F)), // multi-session, and how many are active
                0xF2,
                0x1B,
                0x00, // IANA 7154 (IPMI forum), least significant byte first
                0,
                0) // auxiliary channel information: none for a LAN channel
            : IpmiResponse.Error(CompletionCodes.InvalidDataField);
    }

    /// <summary>Always available, PEF alerting off (there is none), every message authenticated, Administrator at most.</summary>
    public static IpmiResponse ChannelAccess(byte[] data)
    {
        if (data.Length != 2)
        {
            return IpmiResponse.Error(CompletionCodes.RequestDataLengthInvalid);
        }

        // Bits 7:6 of byte 2 choose the non-volatile (01b) or the active (10b) settings; both are the same here.
        return !IsOurChannel(data[0] & 0x0F) || (data[1] >> 6) is not (1 or 2)
            ? IpmiResponse.Error(CompletionCodes.InvalidDataField)
            : IpmiResponse.Ok(0x22, (byte)Privilege.Administrator);
    }

    public static bool IsOurChannel(int channel) => channel is LanChannel or CurrentChannel;
}
