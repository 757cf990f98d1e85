namespace VMetal.Bmc.Ipmi;

/// <summary>
/// The two App commands a client sends before it has a session: Get Channel Authentication Capabilities
/// (section 22.13) and Get Channel Cipher Suites (section 22.15). Answered the same inside a session.
/// </summary>
internal static class ChannelCommands
{
    public const byte GetChannelAuthenticationCapabilities = 0x38;
    public const byte GetChannelCipherSuites = 0x54;

    private const byte LanChannel = 1;
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

    private static bool IsOurChannel(int channel) => channel is LanChannel or CurrentChannel;
}
