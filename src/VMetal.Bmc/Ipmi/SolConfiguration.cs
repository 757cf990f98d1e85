namespace VMetal.Bmc.Ipmi;

/// <summary>
/// Get/Set SOL Configuration Parameters (Transport netfn, section 26.2, 26.3; parameters in table 26-5), what
/// <c>ipmitool sol info</c> shows and <c>sol set</c> changes. Settable: set in progress, SOL enable, and the privilege
/// needed to activate (SOL is always encrypted and authenticated). Read-only (0x82): the character accumulation and
/// retry settings this BMC uses, and the bit rates: a virtual serial port has no line speed, 115.2 kbit/s is reported.
/// </summary>
internal sealed class SolConfiguration
{
    public const byte SetParameters = 0x21;
    public const byte GetParameters = 0x22;

    private const byte ParameterRevision = 0x11;
    private const byte SetInProgress = 0;
    private const byte Enable = 1;
    private const byte Authentication = 2;
    private const byte AccumulateAndThreshold = 3;
    private const byte Retry = 4;
    private const byte NonVolatileBitRate = 5;
    private const byte VolatileBitRate = 6;
    private const byte PayloadChannel = 7;
    private const byte PayloadPort = 8;
    private const byte BitRate115200 = 0x0A;
    private const byte ForceEncryptionAndAuthentication = 0xC0;
    private const byte ReadOnlyParameter = 0x82;

    private readonly Lock _lock = new();
    private byte _setInProgress;

    public bool Enabled { get; private set; } = true;

    /// <summary>The session privilege needed to activate SOL: User by default, as most BMCs ship.</summary>
    public Privilege Privilege { get; private set; } = Privilege.User;

    /// <summary>Request: channel (bit 7: revision only), parameter, set selector, block selector.</summary>
    public IpmiResponse Get(byte[] data, ushort port)
    {
        if (data.Length != 4)
        {
            return IpmiResponse.Error(CompletionCodes.RequestDataLengthInvalid);
        }

        if (!ChannelCommands.IsOurChannel(data[0] & 0x0F))
        {
            return IpmiResponse.Error(CompletionCodes.InvalidDataField);
        }

        if ((data[0] & 0x80) != 0)
        {
            return IpmiResponse.Ok(ParameterRevision);
        }

        byte[]? value;
        lock (_lock)
        {
            value = data[1] switch
            {
                SetInProgress => [_setInProgress],
                Enable => [Enabled ? (byte)1 : (byte)0],
                Authentication => [(byte)(ForceEncryptionAndAuthentication | (byte)Privilege)],
                AccumulateAndThreshold => [1, 1], // 5 ms, 1 character: output is sent as soon as it arrives
                Retry => [SolService.RetryCount, (byte)(SolService.RetryInterval.TotalMilliseconds / 10)],
                NonVolatileBitRate or VolatileBitRate => [BitRate115200],
                PayloadChannel => [ChannelCommands.LanChannel],
                PayloadPort => [(byte)port, (byte)(port >> 8)],
                _ => null,
            };
        }

        return value is null ? IpmiResponse.Error(CompletionCodes.ParameterNotSupported) : IpmiResponse.Ok([ParameterRevision, .. value]);
    }

    /// <summary>Request: channel, parameter, value.</summary>
    public IpmiResponse Set(byte[] data)
    {
        if (data.Length < 3)
        {
            return IpmiResponse.Error(CompletionCodes.RequestDataLengthInvalid);
        }

        if (!ChannelCommands.IsOurChannel(data[0] & 0x0F))
        {
            return IpmiResponse.Error(CompletionCodes.InvalidDataField);
        }

        lock (_lock)
        {
            switch (data[1])
            {
                case SetInProgress when data.Length == 3 && (data[2] & 0x03) is 0 or 1:
                    _setInProgress = (byte)(data[2] & 0x03);
                    return IpmiResponse.Ok();
                case Enable when data.Length == 3:
                    Enabled = (data[2] & 1) != 0;
                    return IpmiResponse.Ok();
                case Authentication when data.Length == 3:
                    // Turning off forced encryption or authentication is refused: every session packet has both.
                    var privilege = data[2] & 0x0F;
                    if ((data[2] & ForceEncryptionAndAuthentication) != ForceEncryptionAndAuthentication
                        || privilege is < (int)Privilege.User or > (int)Privilege.Administrator)
                    {
                        return IpmiResponse.Error(CompletionCodes.InvalidDataField);
                    }

                    Privilege = (Privilege)privilege;
                    return IpmiResponse.Ok();
                case SetInProgress or Enable or Authentication:
                    return IpmiResponse.Error(CompletionCodes.InvalidDataField);
                case AccumulateAndThreshold or Retry or NonVolatileBitRate or VolatileBitRate or PayloadChannel or PayloadPort:
                    return IpmiResponse.Error(ReadOnlyParameter);
                default:
                    return IpmiResponse.Error(CompletionCodes.ParameterNotSupported);
            }
        }
    }
}
